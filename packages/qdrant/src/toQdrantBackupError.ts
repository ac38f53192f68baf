import { BackupError, type BackupErrorCode } from '@backup/core';
import { classifyFailure } from './classifyFailure.js';

/**
 * Maps an error of a Qdrant request to a {@link BackupError}: an existing `BackupError` is
 * returned as is; an aborted signal (`AbortError`) becomes `ABORTED`; anything else becomes `code`
 * with the message `<what> failed: <HTTP status and Qdrant's error text | socket error>` and
 * `details.status` (HTTP status, when the server answered). `what` names the operation and the
 * node, never a credential.
 */
export function toQdrantBackupError(error: unknown, code: BackupErrorCode, what: string): BackupError {
  if (error instanceof BackupError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('ABORTED', `${what} was aborted`, { cause: error });
  }
  const failure = classifyFailure(error);
  return new BackupError(code, `${what} failed: ${failure.message}`, {
    cause: error,
    details: failure.status === undefined ? {} : { status: failure.status },
  });
}
