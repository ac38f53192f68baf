/**
 * Stable error codes. Apps map them to exit codes in one place; engines map driver errors to them.
 *
 * - `CONFIG_INVALID`: a config file, flag or option is wrong (the message names the field).
 * - `STORAGE_UNREACHABLE`: the storage backend could not be reached or refused the request.
 * - `STORAGE_CONFLICT`: an object that must not be overwritten already exists.
 * - `NOT_FOUND`: a job, backup set, artifact or object does not exist.
 * - `SOURCE_FAILED`: the data source (pg_dump, a server, a socket) failed or ended early.
 * - `CHECKSUM_MISMATCH`: stored bytes do not match the manifest's size or sha256.
 * - `DECRYPT_FAILED`: an artifact could not be decrypted (missing or wrong identity).
 * - `VERIFY_FAILED`: an artifact is readable but structurally wrong (engine check failed).
 * - `MANIFEST_INVALID`: a manifest does not match the schema.
 * - `TARGET_NOT_EMPTY`: a restore would overwrite data and was not told to.
 * - `RESTORE_FAILED`: the restore tool (pg_restore...) failed.
 * - `LOCKED`: another writer holds the job's lock.
 * - `ABORTED`: the operation was cancelled (signal, AbortSignal).
 * - `INTERNAL`: a bug: anything not mapped above.
 */
export type BackupErrorCode =
  | 'CONFIG_INVALID'
  | 'STORAGE_UNREACHABLE'
  | 'STORAGE_CONFLICT'
  | 'NOT_FOUND'
  | 'SOURCE_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'DECRYPT_FAILED'
  | 'VERIFY_FAILED'
  | 'MANIFEST_INVALID'
  | 'TARGET_NOT_EMPTY'
  | 'RESTORE_FAILED'
  | 'LOCKED'
  | 'ABORTED'
  | 'INTERNAL';

/** Options of {@link BackupError}. */
export interface BackupErrorOptions {
  /** The vendor or lower-level error this one wraps. */
  cause?: unknown;
  /** Machine-readable context (job, key, unit...), logged with the error. Never put secrets here. */
  details?: Record<string, unknown>;
}

/**
 * The one error type this project throws on purpose. `code` is stable and documented; `message`
 * says what went wrong and what to do; `cause` holds the vendor error.
 */
export class BackupError extends Error {
  /** Stable code, see {@link BackupErrorCode}. */
  readonly code: BackupErrorCode;
  /** Machine-readable context. */
  readonly details: Record<string, unknown>;

  constructor(code: BackupErrorCode, message: string, options: BackupErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackupError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `error` is a {@link BackupError} (optionally with the given code). */
export function isBackupError(error: unknown, code?: BackupErrorCode): error is BackupError {
  return error instanceof BackupError && (code === undefined || error.code === code);
}

/**
 * Returns `error` when it already is a {@link BackupError}, or wraps it with `code` and `message`
 * (the original becomes `cause`). An `AbortError` becomes `ABORTED`.
 */
export function toBackupError(error: unknown, code: BackupErrorCode, message: string): BackupError {
  if (error instanceof BackupError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('ABORTED', 'The operation was aborted', { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new BackupError(code, `${message}: ${reason}`, { cause: error });
}
