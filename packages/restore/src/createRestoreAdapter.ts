import { BackupError, type Engine } from '@backup/core';
import type { Neo4jTlsOptions } from '@backup/neo4j';
import type { RedisTlsOptions } from '@backup/redis';
import { createNeo4jRestoreAdapter } from './neo4j/createNeo4jRestoreAdapter.js';
import { createPostgresRestoreAdapter } from './postgres/createPostgresRestoreAdapter.js';
import { createQdrantRestoreAdapter } from './qdrant/createQdrantRestoreAdapter.js';
import type { RestoreAdapter } from './RestoreAdapter.js';
import { createRedisRestoreAdapter } from './redis/createRedisRestoreAdapter.js';

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
 *
 * - `postgres` -> {@link createPostgresRestoreAdapter} (from the job's `url`, `binDir`; physical-mode
 *   jobs are refused with `CONFIG_INVALID`: their restore is point-in-time recovery,
 *   `backup restore --pitr` / `backup pitr-restore`);
 * - `redis` -> {@link createRedisRestoreAdapter} (`url`, `tls`; safety backups in keys mode);
 * - `qdrant` -> {@link createQdrantRestoreAdapter} (`url` or `nodes`, `apiKey`, `mode`, `timeoutMs`);
 * - `neo4j` -> {@link createNeo4jRestoreAdapter} (`uri`, `user`, `password`, `tls`).
 *
 * Safety-backup engines are the job's own engine (`options.createEngine`) with the job's keys
 * re-pointed at the restore target and limited to what is overwritten. Other engines throw
 * `CONFIG_INVALID` naming the engine. A new engine adds its case here.
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
    case 'redis':
      return createRedisRestoreAdapter({
        url: text('url') ?? '',
        tls: keys['tls'] as RedisTlsOptions | undefined,
        createEngine: (source) =>
          options.createEngine({
            ...job,
            url: source.url,
            mode: 'keys',
            databases: source.databases,
            match: undefined,
            cluster: source.cluster,
          }),
      });
    case 'qdrant':
      return createQdrantRestoreAdapter({
        url: text('url'),
        nodes: Array.isArray(keys['nodes']) ? (keys['nodes'] as string[]) : undefined,
        apiKey: text('apiKey'),
        env: options.env,
        mode: text('mode') as 'snapshot' | 'full' | 'export' | undefined,
        timeoutMs: typeof keys['timeoutMs'] === 'number' ? keys['timeoutMs'] : undefined,
        createEngine: (source) =>
          options.createEngine({
            ...job,
            url: source.url,
            nodes: source.nodes,
            collections: source.collections,
            exclude: [],
            mode: source.mode,
          }),
      });
    case 'neo4j':
      return createNeo4jRestoreAdapter({
        uri: text('uri'),
        connection: {
          user: text('user'),
          password: text('password'),
          tls: keys['tls'] as Neo4jTlsOptions | undefined,
        },
        createEngine: (source) =>
          options.createEngine({
            ...job,
            ...(source.uri === undefined ? {} : { uri: source.uri }),
            databases: source.databases,
          }),
      });
    default:
      throw new BackupError(
        'CONFIG_INVALID',
        `No restore adapter for engine "${job.engine}" (restore supports: postgres, redis, qdrant, neo4j)`,
      );
  }
}
