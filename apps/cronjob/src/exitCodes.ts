import { type BackupErrorCode, isBackupError } from '@backup/core';

/**
 * Process exit codes, one per error class (the table of docs/cli.md, shared with the `backup` CLI;
 * kept here because the cronjob does not depend on the CLI app). 143 = stopped by SIGTERM.
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

/** The exit code of an error: its `BackupError` code's, else 1 (`INTERNAL`). */
export function exitCodeOf(error: unknown): number {
  return isBackupError(error) ? (EXIT_CODES[error.code] ?? 1) : EXIT_CODES.INTERNAL;
}
