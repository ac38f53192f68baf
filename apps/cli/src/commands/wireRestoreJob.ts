import { createDecryptor, createEncryptor, createEngine, type JobConfig, selectJobs } from '@backup/config';
import { resolveCompression } from '@backup/core';
import { baseJobOfSafetyJob, createRestoreAdapter, type Repository, type RestoreJob } from '@backup/restore';
import type { CliContext } from '../CliContext.js';

/** A configured job wired for the restore flow of `@backup/restore`. */
export interface WiredRestoreJob {
  // biome-ignore lint/suspicious/noExplicitAny: the options type depends on the job's engine
  job: RestoreJob<any>;
  repository: Repository;
}

/**
 * Config -> restore wiring for `backup restore` and `backup drill`: the job's engine, its restore
 * adapter (`createRestoreAdapter`), and the repository with the job's compression, the config's
 * encryption (safety backups) and a decryptor from `--identity` / `BACKUP_AGE_IDENTITY`. An
 * unconfigured `<job>-pre-restore` uses `<job>`'s settings, so safety backups restore like any set.
 * Throws `CONFIG_INVALID` naming the configured jobs for an unknown job.
 */
export async function wireRestoreJob(
  ctx: CliContext,
  name: string,
  identity: string | undefined,
): Promise<WiredRestoreJob> {
  const { config, env } = ctx;
  const base = baseJobOfSafetyJob(name);
  const configured = config.jobs.find((j) => j.name === name);
  const baseJob = base === undefined ? undefined : config.jobs.find((j) => j.name === base);
  const job: JobConfig = configured ?? (baseJob ? { ...baseJob, name } : selectJobs(config, [name])[0]!);
  return {
    job: {
      name,
      engine: createEngine(job, env),
      adapter: createRestoreAdapter({ job, env, createEngine: (j) => createEngine(j, env) }),
    },
    repository: {
      storage: ctx.storage,
      catalog: ctx.catalog,
      compression: resolveCompression(job.compression ?? config.compression),
      encryptor: createEncryptor(config.encryption),
      decryptor: await createDecryptor({ identityFile: identity, env, encryption: config.encryption }),
    },
  };
}
