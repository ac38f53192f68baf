import { BackupError } from '@backup/core';

/**
 * Wraps a Redis, socket or TLS error as a `BackupError` with `code` (`SOURCE_FAILED` for backups,
 * `RESTORE_FAILED` for restores) and a message that says what failed where and what to check:
 * credentials for `WRONGPASS`/`NOAUTH`, the user's ACL for `NOPERM`, reachability for connection
 * errors, the CA/server name for certificate errors. `BackupError`s pass through; an abort becomes
 * `ABORTED`. Messages never contain passwords (callers pass `host:port` labels only).
 */
export function redisFailure(
  error: unknown,
  code: 'SOURCE_FAILED' | 'RESTORE_FAILED' | 'VERIFY_FAILED',
  what: string,
): BackupError {
  if (error instanceof BackupError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('ABORTED', `${what}: aborted`, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  const errno = (error as { code?: unknown } | null)?.code;
  let hint = '';
  if (/^(WRONGPASS|NOAUTH)|invalid password|invalid username-password/i.test(reason)) {
    hint = '; check the user and password of the URL';
  } else if (/^NOPERM/.test(reason)) {
    hint = '; grant the ACL user this permission (docs/redis.md lists what each mode needs)';
  } else if (
    errno === 'ECONNREFUSED' ||
    errno === 'ENOTFOUND' ||
    errno === 'EHOSTUNREACH' ||
    errno === 'ETIMEDOUT'
  ) {
    hint = '; is the server running and reachable from here?';
  } else if (typeof errno === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(errno)) {
    hint = '; check tls.caFile and tls.servername';
  }
  return new BackupError(code, `${what} failed: ${reason}${hint}`, {
    cause: error,
    details: typeof errno === 'string' ? { errno } : {},
  });
}
