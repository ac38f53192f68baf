import type { Engine } from '@backup/core';
import { createPostgresEngine, createPostgresPhysicalEngine } from '@backup/postgres';
import type { JobConfig } from './schema.js';

/**
 * Builds the engine for a job from its config. Engines are chosen by the `engine` key; each
 * engine package owns its options schema. PostgreSQL jobs with `mode: physical` get the physical
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
  }
}
