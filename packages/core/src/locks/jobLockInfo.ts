import { z } from '@backup/zod';

/**
 * Zod schema of a lock object's JSON (`<job>/lock.json`). Times are ISO 8601 UTC strings.
 * Unknown fields are allowed so that newer writers can add some.
 */
export const jobLockInfoSchema = z.looseObject({
  /** Who holds the lock, for humans (e.g. `cronjob postgresql-daily`). */
  owner: z.string(),
  /** Host (in Kubernetes: the pod name) of the holder. */
  host: z.string(),
  /** Process id of the holder on `host`. */
  pid: z.number().int().nonnegative(),
  /** When the lock was acquired. */
  acquiredAt: z.iso.datetime(),
  /** When the lock stops counting: after this instant anyone may take it over. */
  expiresAt: z.iso.datetime(),
  /**
   * Random id of this acquisition (UUID). `release` and `refresh` compare it to decide whether
   * the stored lock is still theirs: owner, host and pid alone are not unique (one process can
   * try twice, two pods can share a name across restarts).
   */
  token: z.string().min(1),
});

/** Content of a job lock, see {@link jobLockInfoSchema}. */
export type JobLockInfo = z.infer<typeof jobLockInfoSchema>;
