import type { Engine } from '@backup/core';
import { createPostgresEngine } from '@backup/postgres';
import type { JobConfig } from './schema.js';

/**
 * Builds the engine for a job from its config. Engines are chosen by the `engine` key; each
 * engine package owns its options schema.
 */
// biome-ignore lint/suspicious/noExplicitAny: engines differ in restore options; callers pass the right ones
export function createEngine(job: JobConfig, env: NodeJS.ProcessEnv = process.env): Engine<any> {
  switch (job.engine) {
    case 'postgres':
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
