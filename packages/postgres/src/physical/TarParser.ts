import { BackupError } from '@backup/core';

/** Size of a tar block and header in bytes (POSIX.1-1988 ustar). */
const BLOCK = 512;

/** Kind of a tar entry, from its `typeflag` (ustar: `0`/NUL file, `5` directory, `2` symlink, `1` hard link). */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** The header of one tar entry. */
export interface TarEntryHeader {
  /** Path inside the archive, `/`-separated, without a trailing `/` for directories (`base/1/2608`). */
  path: string;
  type: TarEntryType;
  /** Raw typeflag character. */
  typeflag: string;
  /** Content size in bytes (0 for directories and links). */
  size: number;
  /** Permission bits (`0o600`, `0o700`). */
  mode: number;
  /** Modification time (whole seconds). */
  mtime: Date;
  /** Target of a symlink or hard link; `''` otherwise. */
  linkName: string;
}

/** What {@link TarParser.push} found, in stream order. */
export type TarEvent =
  | { kind: 'entry'; header: TarEntryHeader }
  /** A piece of the current entry's content: a view into the pushed chunk, copy it to keep it. */
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'end'; header: TarEntryHeader };

/**
 * Incremental parser of a tar stream (POSIX ustar as written by `pg_basebackup -Ft`, plus GNU
 * base-256 sizes and `L` long names; PAX `x`/`g` records are skipped as type `other`). Feed
 * chunks with {@link push}; it returns the events they complete, with content as views into the
 * chunk (no copy). Header checksums are checked. Sources: POSIX.1-2017 `pax` "ustar Interchange
 * Format"; PG15 `src/port/tar.c` (`tarCreateHeader`).
 *
 * @throws BackupError `VERIFY_FAILED` from `push` for a header with a bad checksum or size, and from
 *   {@link finish} when the stream ended inside an entry or without the end-of-archive blocks.
 */
export class TarParser {
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Content bytes left in the current entry. */
  private remaining = 0;
  /** Padding bytes left after the current entry's content. */
  private padding = 0;
  private current: TarEntryHeader | undefined;
  /** GNU `L` long name waiting for the next header. */
  private longName: Buffer[] | undefined;
  private longNameNext: string | undefined;
  private zeroBlocks = 0;
  private done = false;
  /** Bytes consumed so far. */
  offset = 0;

  /** True once the two zero blocks ending the archive were read. */
  get ended(): boolean {
    return this.done;
  }

  /** Parses `chunk` and returns the events it completes. Data after the end-of-archive is ignored. */
  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    let at = 0;
    while (at < chunk.length && !this.done) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - at);
        const piece = chunk.subarray(at, at + n);
        if (this.longName) this.longName.push(Buffer.from(piece));
        else events.push({ kind: 'data', chunk: piece });
        this.remaining -= n;
        at += n;
        if (this.remaining === 0) this.closeEntry(events);
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - at);
        this.padding -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill < BLOCK) continue;
      this.headerFill = 0;
      this.onHeader(events);
    }
    this.offset += at;
    return events;
  }

  /**
   * Checks that the archive ended properly.
   * @throws BackupError `VERIFY_FAILED` when it did not (truncated stream).
   */
  finish(): void {
    if (!this.done) {
      throw new BackupError(
        'VERIFY_FAILED',
        this.current
          ? `tar stream ends inside ${this.current.path} (truncated at byte ${this.offset})`
          : `tar stream ends at byte ${this.offset} without its end-of-archive blocks (truncated)`,
      );
    }
  }

  private onHeader(events: TarEvent[]): void {
    const block = this.header;
    if (block.every((b) => b === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) this.done = true;
      return;
    }
    if (this.zeroBlocks > 0) {
      throw new BackupError('VERIFY_FAILED', `tar stream has a lone zero block at byte ${this.offset}`);
    }
    checkHeaderChecksum(block, this.offset);
    const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    const size = readNumber(block, 124, 12, this.offset);
    if (typeflag === 'L') {
      this.longName = [];
      this.remaining = size;
      this.padding = pad(size);
      if (size === 0) this.closeEntry(events);
      return;
    }
    const name = readString(block, 0, 100);
    const prefix = isUstar(block) ? readString(block, 345, 155) : '';
    let path = this.longNameNext ?? (prefix ? `${prefix}/${name}` : name);
    this.longNameNext = undefined;
    path = path.replace(/\/+$/, '');
    const type: TarEntryType =
      typeflag === '0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '1'
              ? 'hardlink'
              : 'other';
    const header: TarEntryHeader = {
      path,
      type,
      typeflag,
      size: type === 'directory' || type === 'symlink' || type === 'hardlink' ? 0 : size,
      mode: readNumber(block, 100, 8, this.offset) & 0o7777,
      mtime: new Date(readNumber(block, 136, 12, this.offset) * 1000),
      linkName: readString(block, 157, 100),
    };
    this.current = header;
    events.push({ kind: 'entry', header });
    this.remaining = header.size;
    this.padding = pad(header.size);
    if (header.size === 0) this.closeEntry(events);
  }

  private closeEntry(events: TarEvent[]): void {
    if (this.longName) {
      this.longNameNext = Buffer.concat(this.longName).toString('utf8').replace(/\0+$/, '');
      this.longName = undefined;
      return;
    }
    const header = this.current!;
    this.current = undefined;
    events.push({ kind: 'end', header });
  }
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function isUstar(block: Buffer): boolean {
  return block.toString('latin1', 257, 262) === 'ustar';
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? length : end);
}

/** Octal (NUL/space terminated) or GNU base-256 (high bit of the first byte set) number field. */
function readNumber(block: Buffer, offset: number, length: number, at: number): number {
  const first = block[offset]!;
  if (first & 0x80) {
    let value = BigInt(first & 0x7f);
    for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(block[offset + i]!);
    return Number(value);
  }
  const text = block
    .toString('latin1', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new BackupError('VERIFY_FAILED', `tar header at byte ${at} has a malformed number field "${text}"`);
  }
  return Number.parseInt(text, 8);
}

function checkHeaderChecksum(block: Buffer, at: number): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  const stored = readNumber(block, 148, 8, at);
  if (stored !== sum) {
    throw new BackupError(
      'VERIFY_FAILED',
      `tar header at byte ${at} has checksum ${stored}, computed ${sum} (corrupt archive)`,
    );
  }
}
