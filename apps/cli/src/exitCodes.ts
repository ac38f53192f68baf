import type { BackupErrorCode } from '@backup/core';

/**
 * Process exit codes, one per error class, so scripts and CronJobs can tell failures apart.
 * 0 = every job succeeded. Documented in docs/cli.md.
 */
export const EXIT_CODES: Readonly<Record<BackupErrorCode | 'OK' | 'USAGE', number>> = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG_INVALID: 2,
  NOT_FOUND: 3,
  CHECKSUM_MISMATCH: 4,
  VERIFY_FAILED: 4,
  MANIFEST_INVALID: 4,
  LOCKED: 5,
  TARGET_NOT_EMPTY: 6,
  DECRYPT_FAILED: 7,
  STORAGE_UNREACHABLE: 8,
  STORAGE_CONFLICT: 8,
  SOURCE_FAILED: 9,
  RESTORE_FAILED: 10,
  ABORTED: 130,
};
