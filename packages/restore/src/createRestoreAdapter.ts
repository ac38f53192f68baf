import { BackupError, type Engine } from '@backup/core';
import { createPostgresRestoreAdapter } from './postgres/createPostgresRestoreAdapter.js';
import type { RestoreAdapter } from './RestoreAdapter.js';

/** Options of {@link createRestoreAdapter}. */
export interface CreateRestoreAdapterOptions<TJob extends { engine: string }> {
  /** The job's validated config (`@backup/config`'s `JobConfig`): its engine and connection keys. */
  job: TJob;
  /** Environment for the engine's variables (`PGPASSWORD`...); default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Builds an engine from a job config: `(job) => createEngine(job, env)` of `@backup/config`. Used
   * for the safety backup, with the job's keys overridden to point at the restore target.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any engine
  createEngine(job: TJob): Engine<any>;
}

/**
 * The {@link RestoreAdapter} of a configured job, chosen by its `engine` key:
 * `postgres` -> {@link createPostgresRestoreAdapter} (from the job's `url`, `binDir`; physical-mode jobs are
 * refused with `CONFIG_INVALID`: their restore is point-in-time recovery, `backup pitr-restore`). Engines
 * without an adapter yet throw `CONFIG_INVALID` naming the engine. A new engine adds its case here.
 */
export function createRestoreAdapter<TJob extends { engine: string }>(
  options: CreateRestoreAdapterOptions<TJob>,
  // biome-ignore lint/suspicious/noExplicitAny: the options type depends on the engine
): RestoreAdapter<any> {
  const { job } = options;
  const keys = job as unknown as Record<string, unknown>;
  const text = (key: string) => (typeof keys[key] === 'string' ? (keys[key] as string) : undefined);
  switch (job.engine) {
    case 'postgres':
      if (keys['mode'] === 'physical') {
        throw new BackupError(
          'CONFIG_INVALID',
          `Job ${String(keys['name'])} is a physical (pg_basebackup) job: restore it with backup pitr-restore ` +
            '(docs/pitr.md); this flow restores logical (pg_dump) sets',
        );
      }
      return createPostgresRestoreAdapter({
        url: text('url'),
        binDir: text('binDir'),
        env: options.env,
        createEngine: (source) =>
          options.createEngine({
            ...job,
            ...(source.url === undefined ? {} : { url: source.url }),
            databases: source.databases,
            exclude: [],
            globals: false,
          }),
      });
    default:
      throw new BackupError(
        'CONFIG_INVALID',
        `No restore adapter for engine "${job.engine}" yet (restore supports: postgres)`,
      );
  }
}
