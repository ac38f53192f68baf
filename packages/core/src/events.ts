import diagnosticsChannel from 'node:diagnostics_channel';

/** Published on {@link backupChannels}.job when a backup job starts or ends. */
export interface JobEvent {
  phase: 'start' | 'success' | 'failure';
  job: string;
  engine: string;
  /** Set id (start time), when a set was created. */
  setId?: string | undefined;
  /** Unix time in milliseconds. */
  time: number;
  /** Duration in milliseconds (success/failure). */
  durationMs?: number | undefined;
  /** Total stored bytes of the set (success). */
  storedBytes?: number | undefined;
  /** Per-unit stored bytes (success). */
  units?: Array<{ name: string; storedBytes: number; plaintextBytes: number }> | undefined;
  /** Error code (failure). */
  errorCode?: string | undefined;
}

/** Published on {@link backupChannels}.verify after a set was verified. */
export interface VerifyEvent {
  job: string;
  engine: string;
  setId: string;
  ok: boolean;
  time: number;
}

/**
 * Published on {@link backupChannels}.prune after `executePrune` deleted backup sets of a job (not
 * for a dry run).
 */
export interface PruneEvent {
  job: string;
  /** Complete sets the retention policy removed. */
  removedSets: number;
  /** Complete sets kept by the policy. */
  keptSets: number;
  /** Incomplete sets (no manifest, older than the grace period) removed. */
  removedIncompleteSets: number;
  /** Objects deleted, manifests included. */
  deletedObjects: number;
  /** Stored bytes freed. */
  freedBytes: number;
  /** Unix time in milliseconds. */
  time: number;
}

/**
 * `node:diagnostics_channel` channels core publishes to. `@backup/metrics` subscribes to them, so
 * core never imports metrics. Names: `backup:job`, `backup:verify`, `backup:prune`.
 */
export const backupChannels = {
  job: diagnosticsChannel.channel('backup:job'),
  verify: diagnosticsChannel.channel('backup:verify'),
  prune: diagnosticsChannel.channel('backup:prune'),
} as const;
