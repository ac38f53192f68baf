import { type BackupErrorCode, isBackupError } from './errors.js';

/**
 * Process exit codes of the apps (`backup`, `backup-cronjob`), one per error class, so scripts and
 * CronJobs can tell failures apart. Documented in docs/cli.md. `USAGE` is a bad flag or argument,
 * `SIGTERM` a run stopped by SIGTERM (pod eviction), `ABORTED` by SIGINT or at a prompt.
 */
export const EXIT_CODES: Readonly<Record<BackupErrorCode | 'OK' | 'USAGE' | 'SIGTERM', number>> = {
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
  SIGTERM: 143,
};

/** The exit code of an error: its `BackupError` code's (see {@link EXIT_CODES}), else 1 (`INTERNAL`). */
export function exitCodeOf(error: unknown): number {
  return isBackupError(error) ? (EXIT_CODES[error.code] ?? 1) : EXIT_CODES.INTERNAL;
}
