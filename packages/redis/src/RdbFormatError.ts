/**
 * An RDB file or DUMP payload that does not follow the format (bad magic, unknown type or opcode,
 * truncated data, wrong CRC64). Engine calls translate it into a `BackupError` with the code of the
 * operation (`SOURCE_FAILED` during a backup, `VERIFY_FAILED` in verify, `RESTORE_FAILED`).
 */
export class RdbFormatError extends Error {
  /** Byte offset in the file where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'RdbFormatError';
    this.offset = offset;
  }
}
