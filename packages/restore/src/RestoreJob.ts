import type { Engine } from '@backup/core';
import type { RestoreAdapter } from './RestoreAdapter.js';

/** A job as the restore flow sees it: its name, its engine and that engine's restore adapter. */
export interface RestoreJob<TOptions> {
  /** Job name: the path segment of its sets (a safety job's name for restoring a safety set). */
  name: string;
  /** The job's engine (`createEngine` of `@backup/config`). */
  engine: Engine<TOptions>;
  /** The engine's adapter, bound to the same job config (`createRestoreAdapter`). */
  adapter: RestoreAdapter<TOptions>;
}
