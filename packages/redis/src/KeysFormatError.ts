/**
 * A keys-mode artifact that does not follow docs/format.md (missing header or trailer, a bad line,
 * a DUMP payload whose CRC64 is wrong). Engine calls translate it into `VERIFY_FAILED` or
 * `RESTORE_FAILED`.
 */
export class KeysFormatError extends Error {
  /** 1-based line number, when known. */
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'KeysFormatError';
    this.line = line;
  }
}
