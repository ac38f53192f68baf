import type { Engine } from '@backup/core';
import type { JobConfig } from './schema.js';

/**
 * Builds the engine for a job from its config. Engines are chosen by the `engine` key; each
 * engine package owns its options schema, whose keys are passed through unchanged. PostgreSQL jobs with `mode: physical` get the physical
 * engine (`pg_basebackup`, WAL retention through `pruneExtra`); without `mode`, the logical one.
 *
 * The engine package (and its client library: pg, ioredis, the Qdrant client, neo4j-driver) is
 * imported on the first call of a method, not here: a `backup` process loads only the engines its
 * jobs use, and commands that need no engine (`wal-fetch`, `list`) load none. Errors of the
 * engine's own option checks (`CONFIG_INVALID`) therefore surface from that first call.
 */
// biome-ignore lint/suspicious/noExplicitAny: engines differ in restore options; callers pass the right ones
export function createEngine(job: JobConfig, env: NodeJS.ProcessEnv = process.env): Engine<any> {
  const physical = job.engine === 'postgres' && job.mode === 'physical';
  return lazyEngine(job.engine, physical, () => loadEngine(job, env));
}

/**
 * Imports the job's engine package and builds its engine now (what {@link createEngine} does on
 * first use). Rejects with the engine's `CONFIG_INVALID` errors for options its schema cannot
 * express (e.g. a URL scheme).
 */
// biome-ignore lint/suspicious/noExplicitAny: engines differ in restore options; callers pass the right ones
export async function loadEngine(job: JobConfig, env: NodeJS.ProcessEnv = process.env): Promise<Engine<any>> {
  switch (job.engine) {
    case 'postgres': {
      const postgres = await import('@backup/postgres');
      if (job.mode === 'physical') {
        return postgres.createPostgresPhysicalEngine({
          ...(job.url === undefined ? {} : { url: job.url }),
          env,
          ...(job.binDir === undefined ? {} : { binDir: job.binDir }),
          ...(job.checkpoint === undefined ? {} : { checkpoint: job.checkpoint }),
        });
      }
      return postgres.createPostgresEngine({
        ...(job.url === undefined ? {} : { url: job.url }),
        env,
        databases: job.databases,
        exclude: job.exclude,
        globals: job.globals,
        ...(job.binDir === undefined ? {} : { binDir: job.binDir }),
      });
    }
    case 'redis':
      return (await import('@backup/redis')).createRedisEngine(engineOptions(job));
    case 'qdrant':
      return (await import('@backup/qdrant')).createQdrantEngine({ ...engineOptions(job), env });
    case 'neo4j':
      return (await import('@backup/neo4j')).createNeo4jEngine(engineOptions(job));
  }
}

/**
 * An {@link Engine} that creates the real one with `load` on its first method call and delegates
 * every call to it. `hasPruneExtra` says whether the real engine has the optional `pruneExtra`
 * (callers test for the method's presence).
 */
// biome-ignore lint/suspicious/noExplicitAny: see createEngine
function lazyEngine(name: string, hasPruneExtra: boolean, load: () => Promise<Engine<any>>): Engine<any> {
  // biome-ignore lint/suspicious/noExplicitAny: see createEngine
  let loading: Promise<Engine<any>> | undefined;
  const real = () => {
    loading ??= load();
    return loading;
  };
  // biome-ignore lint/suspicious/noExplicitAny: see createEngine
  const engine: Engine<any> = {
    name,
    describe: async (ctx) => (await real()).describe(ctx),
    discover: async (ctx) => (await real()).discover(ctx),
    backup: async (unit, sink, ctx) => (await real()).backup(unit, sink, ctx),
    verify: async (artifact, plaintext, ctx) => {
      let target: Engine;
      try {
        target = await real();
      } catch (error) {
        plaintext.destroy(); // verify must consume or release the stream
        throw error;
      }
      return target.verify(artifact, plaintext, ctx);
    },
    restore: async (input, ctx) => (await real()).restore(input, ctx),
  };
  if (hasPruneExtra) {
    engine.pruneExtra = async (input, ctx) => {
      const target = await real();
      if (!target.pruneExtra) return { deletedObjects: 0, freedBytes: 0 };
      return target.pruneExtra(input, ctx);
    };
  }
  return engine;
}

/** A job's engine-specific keys: the job minus the keys every job has (name, engine, compression, retention). */
function engineOptions<T extends JobConfig>(
  job: T,
): Omit<T, 'name' | 'engine' | 'compression' | 'retention'> {
  const { name: _name, engine: _engine, compression: _compression, retention: _retention, ...rest } = job;
  return rest;
}
