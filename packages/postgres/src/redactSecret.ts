import { BackupError } from '@backup/core';

/**
 * Returns `error` with every occurrence of `secret` (e.g. the database password) replaced by
 * `***` in its message, as a {@link BackupError} with the same code, details and cause. Errors
 * that do not mention the secret (the usual case: libpq never echoes passwords) are returned as
 * is. Non-BackupError values are returned unchanged.
 */
export function redactSecret(error: unknown, secret: string | undefined): unknown {
  if (!secret || !(error instanceof BackupError) || !error.message.includes(secret)) return error;
  const redacted = new BackupError(error.code, error.message.split(secret).join('***'), {
    cause: error.cause,
    details: error.details,
  });
  return redacted;
}
