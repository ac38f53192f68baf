import type { Engine } from '@backup/core';
import { createNeo4jEngine } from '@backup/neo4j';
import { createPostgresEngine, createPostgresPhysicalEngine } from '@backup/postgres';
import { createQdrantEngine } from '@backup/qdrant';
import { createRedisEngine } from '@backup/redis';
import type { JobConfig } from './schema.js';

/**
 * Builds the engine for a job from its config. Engines are chosen by the `engine` key; each
 * engine package owns its options schema, whose keys are passed through unchanged. PostgreSQL jobs with `mode: physical` get the physical
 * engine (`pg_basebackup`, WAL retention through `pruneExtra`); without `mode`, the logical one.
 */
// biome-ignore lint/suspicious/noExplicitAny: engines differ in restore options; callers pass the right ones
export function createEngine(job: JobConfig, env: NodeJS.ProcessEnv = process.env): Engine<any> {
  switch (job.engine) {
    case 'postgres':
      if (job.mode === 'physical') {
        return createPostgresPhysicalEngine({
          ...(job.url === undefined ? {} : { url: job.url }),
          env,
          ...(job.binDir === undefined ? {} : { binDir: job.binDir }),
          ...(job.checkpoint === undefined ? {} : { checkpoint: job.checkpoint }),
        });
      }
      return createPostgresEngine({
        ...(job.url === undefined ? {} : { url: job.url }),
        env,
        databases: job.databases,
        exclude: job.exclude,
        globals: job.globals,
        ...(job.binDir === undefined ? {} : { binDir: job.binDir }),
      });
    case 'redis':
      return createRedisEngine(engineOptions(job));
    case 'qdrant':
      return createQdrantEngine({ ...engineOptions(job), env });
    case 'neo4j':
      return createNeo4jEngine(engineOptions(job));
  }
}

/** A job's engine-specific keys: the job minus the keys every job has (name, engine, compression, retention). */
function engineOptions<T extends JobConfig>(
  job: T,
): Omit<T, 'name' | 'engine' | 'compression' | 'retention'> {
  const { name: _name, engine: _engine, compression: _compression, retention: _retention, ...rest } = job;
  return rest;
}
