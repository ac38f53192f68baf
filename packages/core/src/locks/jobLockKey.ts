import { BackupError } from '../errors.js';

/** Job names are one path segment (the same rule as backup sets). */
const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/**
 * Key of a job's lock object: `<job>/lock.json`, relative to the storage root (which holds the
 * prefix). It has two segments, so `Catalog.listSets` (which needs `<job>/<set-id>/...`) never
 * mistakes it for a backup set.
 *
 * @throws BackupError `CONFIG_INVALID` when `job` is not 1-63 letters, digits, `.`, `_` or `-`.
 */
export function jobLockKey(job: string): string {
  if (!JOB_NAME.test(job)) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Job name "${job}" must be 1-63 letters, digits, ".", "_" or "-" (it is a path segment)`,
    );
  }
  return `${job}/lock.json`;
}

/**
 * Key of the claim object a process creates (with `createExclusive`) before it may delete an
 * expired lock: `<job>/lock-takeover-<stale>-<generation>.json`, where `<stale>` identifies the
 * expired lock's content. See `acquireJobLock`.
 */
export function jobLockTakeoverKey(job: string, stale: string, generation: number): string {
  jobLockKey(job); // validates the job name
  return `${job}/lock-takeover-${stale}-${generation}.json`;
}
