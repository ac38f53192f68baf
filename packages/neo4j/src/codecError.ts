import { BackupError } from '@backup/core';

/**
 * The error of a value or line that does not match the typed graph encoding (docs/format.md):
 * code `VERIFY_FAILED` (the artifact is readable but structurally wrong).
 *
 * @param message What is wrong and where (line number, property name).
 */
export function codecError(message: string, cause?: unknown): BackupError {
  return new BackupError('VERIFY_FAILED', message, cause === undefined ? {} : { cause });
}
