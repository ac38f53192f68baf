import { BackupError } from '@backup/core';
import type { BackupConfig, JobConfig } from './schema.js';

/**
 * The jobs named (all when `names` is empty), in config order. Throws `CONFIG_INVALID` naming
 * unknown jobs and listing the configured ones.
 */
export function selectJobs(config: BackupConfig, names: readonly string[] = []): JobConfig[] {
  if (names.length === 0) return config.jobs;
  const unknown = names.filter((n) => !config.jobs.some((j) => j.name === n));
  if (unknown.length > 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Unknown job ${unknown.map((n) => `"${n}"`).join(', ')}; configured jobs: ${config.jobs.map((j) => j.name).join(', ')}`,
    );
  }
  return config.jobs.filter((j) => names.includes(j.name));
}
