import type { DrillReport } from './drill/DrillReport.js';

/**
 * Default restore rate (plaintext bytes into the target per second) when the job has no passed
 * drill: 20 MiB/s, a conservative figure for `pg_restore` of a custom dump with indexes to rebuild.
 * A drill's measured rate replaces it.
 */
export const DEFAULT_RESTORE_BYTES_PER_SECOND = 20 * 1024 * 1024;

/** Default rate of the verify-first pass (stored bytes read from storage and checked per second): 50 MiB/s. */
export const DEFAULT_VERIFY_BYTES_PER_SECOND = 50 * 1024 * 1024;

/** How long a restore should take, and why we think so. */
export interface RestoreEstimate {
  /** Restore plus verify-first pass, in seconds. */
  seconds: number;
  /** Of which the verify-first pass. */
  verifySeconds: number;
  /** Plaintext bytes restored per second assumed. */
  bytesPerSecond: number;
  /** `drill`: measured by the job's newest passed drill; `default`: {@link DEFAULT_RESTORE_BYTES_PER_SECOND}. */
  basis: 'drill' | 'default';
  /** The drill measured from, with `basis: 'drill'`. */
  drill?: { setId: string; finishedAt: string; rtoSeconds: number } | undefined;
}

/**
 * Estimates a restore's duration from the set's sizes: plaintext bytes at the rate the newest
 * passed drill of the job measured (its plaintext bytes / its RTO), else at the default rate; plus,
 * with `verifyFirst`, the stored bytes at {@link DEFAULT_VERIFY_BYTES_PER_SECOND}. Safety backups
 * are not included (they depend on the target's size, unknown before it is dumped).
 */
export function estimateRestore(input: {
  storedBytes: number;
  plaintextBytes: number;
  verifyFirst: boolean;
  drill?: DrillReport | undefined;
}): RestoreEstimate {
  const drill = input.drill;
  const measured =
    drill?.ok && drill.rtoSeconds > 0 && drill.bytes.plaintext > 0
      ? drill.bytes.plaintext / drill.rtoSeconds
      : undefined;
  const bytesPerSecond = measured ?? DEFAULT_RESTORE_BYTES_PER_SECOND;
  const verifySeconds = input.verifyFirst ? input.storedBytes / DEFAULT_VERIFY_BYTES_PER_SECOND : 0;
  return {
    seconds: input.plaintextBytes / bytesPerSecond + verifySeconds,
    verifySeconds,
    bytesPerSecond,
    basis: measured === undefined ? 'default' : 'drill',
    ...(measured !== undefined && drill
      ? { drill: { setId: drill.setId, finishedAt: drill.finishedAt, rtoSeconds: drill.rtoSeconds } }
      : {}),
  };
}
