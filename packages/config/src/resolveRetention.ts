import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from '@backup/core';
import type { BackupConfig, JobConfig } from './schema.js';

/** A job's retention policy: the job's own, else the config's, else the seeds' 7 daily / 4 weekly / 12 monthly. */
export function resolveRetention(config: BackupConfig, job: JobConfig): RetentionPolicy {
  return job.retention ?? config.retention ?? DEFAULT_RETENTION_POLICY;
}
