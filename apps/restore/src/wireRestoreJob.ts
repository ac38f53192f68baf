import {
  type BackupConfig,
  createDecryptor,
  createEncryptor,
  createEngine,
  type JobConfig,
  selectJobs,
} from '@backup/config';
import { type Catalog, resolveCompression, type StorageBackend } from '@backup/core';
import { baseJobOfSafetyJob, createRestoreAdapter, type Repository, type RestoreJob } from '@backup/restore';

/** A configured job wired for the restore flow. */
export interface WiredRestoreJob {
  // biome-ignore lint/suspicious/noExplicitAny: the options type depends on the job's engine
  job: RestoreJob<any>;
  repository: Repository;
  /** The job's config (a safety job's is its base job's, renamed). */
  config: JobConfig;
}

/** Input of {@link wireRestoreJob}. */
export interface WireRestoreJobInput {
  config: BackupConfig;
  storage: StorageBackend;
  catalog: Catalog;
  /** Job name: a configured job, or `<job>-pre-restore` to restore a safety backup of `<job>`. */
  name: string;
  env: NodeJS.ProcessEnv;
  /** `--identity FILE`. */
  identity?: string | undefined;
}

/**
 * Config -> restore wiring: the job's engine (`createEngine`), its adapter (`createRestoreAdapter`),
 * and the repository with the job's compression, the config's encryption (for safety backups) and a
 * decryptor from `--identity` / `BACKUP_AGE_IDENTITY`. A `<job>-pre-restore` name that is not
 * configured uses `<job>`'s settings, so safety backups restore like any set. Throws
 * `CONFIG_INVALID` naming the configured jobs for an unknown name.
 */
export async function wireRestoreJob(input: WireRestoreJobInput): Promise<WiredRestoreJob> {
  const { config, env } = input;
  const base = baseJobOfSafetyJob(input.name);
  const configured = config.jobs.find((j) => j.name === input.name);
  const baseJob = base === undefined ? undefined : config.jobs.find((j) => j.name === base);
  const jobConfig: JobConfig =
    configured ?? (baseJob ? { ...baseJob, name: input.name } : selectJobs(config, [input.name])[0]!);
  return {
    config: jobConfig,
    job: {
      name: input.name,
      engine: createEngine(jobConfig, env),
      adapter: createRestoreAdapter({ job: jobConfig, env, createEngine: (job) => createEngine(job, env) }),
    },
    repository: {
      storage: input.storage,
      catalog: input.catalog,
      compression: resolveCompression(jobConfig.compression ?? config.compression),
      encryptor: createEncryptor(config.encryption),
      decryptor: await createDecryptor({ identityFile: input.identity, env, encryption: config.encryption }),
    },
  };
}
