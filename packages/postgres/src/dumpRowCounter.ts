/**
 * Counts the rows of every table in a pg_dump custom-format archive as it streams past, so the
 * restore checks get exact per-table row counts without a second scan of every table on the server
 * (`tableStats.ts`).
 *
 * The layout read here is the one pg_dump writes to a pipe (PostgreSQL's
 * `src/bin/pg_dump/pg_backup_archiver.c` `WriteHead`/`WriteToc`, `pg_backup_custom.c`):
 *
 * - header: `PGDMP`, archive version bytes (major, minor, revision), `intSize`, `offSize`, format
 *   (1 = custom), the compression (archive >= 1.15: one algorithm byte; before: an int level),
 *   seven ints of creation time, then three strings (database, server and pg_dump versions);
 * - the TOC: an int count, then per entry the dump id, "has data" flag, catalog ids, tag, `desc`,
 *   section, definition, drop and COPY statements, namespace, tablespace, table AM (>= 1.14),
 *   relkind (int, >= 1.16), owner, a `"false"` string, a NULL-terminated dependency list, and the
 *   custom format's data offset (a flag byte plus `offSize` bytes);
 * - one data block per entry with data: a block-type byte (`BLK_DATA` = 1, `BLK_BLOBS` = 3) and the
 *   dump id; a data block is a run of length-prefixed chunks ended by a zero length; a blobs block
 *   is a run of (oid, chunks) ended by oid 0. Written to a pipe the TOC has no offsets and nothing
 *   follows the last block.
 *
 * An int is a sign byte then `intSize` little-endian magnitude bytes; a string is an int length
 * (-1 = NULL) then the bytes. A `TABLE DATA` block holds the table's `COPY ... TO STDOUT` text, in
 * which every row ends with a newline and newlines inside values are escaped (`\n`): its rows are
 * the newline bytes of its chunks.
 *
 * Anything unexpected (another archive version or format, compressed data, a block that does not
 * parse) stops the counting: {@link DumpRowCounter.result} then returns `undefined` and callers
 * count with `count(*)` instead. The counter never throws and never alters the bytes.
 */

import { createNewlineCounter, type NewlineCounter } from './countNewlines.js';

/** Oldest and newest archive versions (`major.minor`) this reader knows: 1.12 (PG 9.x) to 1.16. */
const MIN_VERSION = (1 << 16) | (12 << 8);
const MAX_VERSION = (1 << 16) | (16 << 8) | 255;
const K_VERS_1_14 = (1 << 16) | (14 << 8);
const K_VERS_1_15 = (1 << 16) | (15 << 8);
const K_VERS_1_16 = (1 << 16) | (16 << 8);
const BLK_DATA = 1;
const BLK_BLOBS = 3;
/** Largest header + TOC accepted before giving up (bytes). */
const MAX_TOC_BYTES = 256 * 1024 * 1024;

/** One `TABLE DATA` entry of the archive and the rows its data block held. */
export interface DumpedTableRows {
  /** Schema (TOC namespace), unquoted. */
  schema: string;
  /** Table name (TOC tag), unquoted. */
  table: string;
  /** Rows in the archive (newline-terminated COPY text lines). */
  rows: number;
}

/** What {@link DumpRowCounter.result} returns for a fully read archive. */
export interface DumpRowCounts {
  /** Archive version, e.g. `1.14`. */
  archiveVersion: string;
  /** One element per `TABLE DATA` entry whose data block was read and counted, in TOC order. */
  tables: DumpedTableRows[];
  /**
   * `TABLE DATA` entries of the TOC without a counted block (no block in the stream, or a block
   * whose end could not be told apart): count these tables another way.
   */
  uncounted: Array<{ schema: string; table: string }>;
}

/** Payload bytes kept in view at the end of a data block to recognise the end-of-data line. */
const TAIL = 16;
const EMPTY = new Uint8Array(0);
/** `rows` of a table whose block was read but whose row count could not be told. */
const UNKNOWN = -2;

/** Reads an archive int (sign byte, `intSize` little-endian bytes) at `p`. */
function readInt(b: Buffer, p: number, intSize: number): number {
  let value = 0;
  for (let i = intSize; i >= 1; i--) value = value * 256 + b[p + i]!;
  return b[p] === 0 ? value : -value;
}

/** Thrown inside the parser when the header/TOC is not complete yet. */
class NeedMore extends Error {}

interface TocTable {
  schema: string;
  table: string;
  /** Rows in its data block; -1 until the block has been read, -2 when it could not be told. */
  rows: number;
}

/** States of the data-block reader. */
const S_BLOCK_TYPE = 0;
const S_BLOCK_ID = 1;
const S_CHUNK_LEN = 2;
const S_CHUNK_DATA = 3;
const S_BLOB_OID = 4;
const S_BLOB_CHUNK_LEN = 5;
const S_BLOB_CHUNK_DATA = 6;
const S_FAILED = 7;
type State = number;

/**
 * Streaming reader of a custom-format archive: `push` every chunk of pg_dump's stdout in order,
 * then call `result()` once the stream has ended. Cost: one pass over the bytes, a few operations
 * per COPY chunk (pg_dump writes one chunk per row) and a SIMD count of the newlines of each
 * run of table data (`countNewlines.ts`).
 */
export class DumpRowCounter {
  private head: Buffer[] = [];
  private headBytes = 0;
  private nextAttempt = 0;
  private intSize = 4;
  private version = 0;
  private byId = new Map<number, TocTable>();
  private order: TocTable[] = [];
  private state: State = S_BLOCK_TYPE;
  private failure: string | undefined;
  /** Int being read across pushes: bytes still to read (sign byte included), value so far. */
  private intLeft = 0;
  private intValue = 0;
  private intNegative = false;
  private intShift = 0;
  /** Bytes left in the current chunk. */
  private chunkLeft = 0;
  /** Table of the current data block, or undefined for a block that is not counted. */
  private current: TocTable | undefined;
  private currentRows = 0;
  private blockType = 0;
  private ended = false;
  /** Payload bytes of the current counted block, and where its last bytes are (see noteTail). */
  private payloadBytes = 0;
  private tailBuf: Uint8Array = EMPTY;
  private tailEnd = 0;
  /** Start in the current buffer of the span being counted (-1: none), newlines in its headers. */
  private spanStart = -1;
  private headerNewlines = 0;
  private readonly countNewlines: NewlineCounter = createNewlineCounter();

  /** Why counting stopped, or `undefined` while it works. */
  get error(): string | undefined {
    return this.failure;
  }

  /** Feeds the next bytes of the archive. Never throws. */
  push(chunk: Buffer): void {
    if (this.state === S_FAILED || chunk.length === 0) return;
    try {
      if (this.version === 0) {
        this.head.push(chunk);
        this.headBytes += chunk.length;
        if (this.headBytes < this.nextAttempt) return;
        const all = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headBytes);
        this.head = [all];
        let end: number;
        try {
          end = this.readHeadAndToc(all);
        } catch (error) {
          if (!(error instanceof NeedMore)) throw error;
          if (this.headBytes > MAX_TOC_BYTES) throw new Error('the archive TOC is larger than 256 MiB');
          this.nextAttempt = this.headBytes * 2;
          return;
        }
        this.head = [];
        this.headBytes = 0;
        if (end < all.length) this.scan(all, end);
        return;
      }
      this.scan(chunk, 0);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  /**
   * Row counts per `TABLE DATA` entry, or `undefined` when the archive could not be read to its end
   * (see {@link error}). Call after the last `push`.
   */
  result(): DumpRowCounts | undefined {
    if (!this.ended) {
      this.ended = true;
      if (this.state !== S_FAILED) {
        if (this.version === 0) this.fail('the archive ended inside its header or TOC');
        else if (this.state !== S_BLOCK_TYPE) this.fail('the archive ended inside a data block');
      }
    }
    if (this.state === S_FAILED) return undefined;
    const v = this.version;
    return {
      archiveVersion: `${v >> 16}.${(v >> 8) & 255}`,
      tables: this.order
        .filter((t) => t.rows >= 0)
        .map((t) => ({ schema: t.schema, table: t.table, rows: t.rows })),
      uncounted: this.order.filter((t) => t.rows < 0).map((t) => ({ schema: t.schema, table: t.table })),
    };
  }

  private fail(reason: string): void {
    this.state = S_FAILED;
    this.failure ??= reason;
    this.head = [];
    this.byId.clear();
  }

  /** Parses the header and TOC from `b`; returns the offset of the first data block. */
  private readHeadAndToc(b: Buffer): number {
    let p = 0;
    const need = (n: number) => {
      if (p + n > b.length) throw new NeedMore();
    };
    const byte = () => {
      need(1);
      return b[p++]!;
    };
    const int = () => {
      need(1 + this.intSize);
      const negative = b[p++] !== 0;
      let value = 0;
      for (let i = 0; i < this.intSize; i++) value += b[p++]! * 2 ** (8 * i);
      if (value > Number.MAX_SAFE_INTEGER) throw new Error('an archive integer is out of range');
      return negative ? -value : value;
    };
    const str = (): string | null => {
      const length = int();
      if (length < 0) return null;
      need(length);
      const s = b.toString('utf8', p, p + length);
      p += length;
      return s;
    };
    need(11);
    if (b.toString('latin1', 0, 5) !== 'PGDMP') throw new Error('not a pg_dump custom-format archive');
    p = 5;
    const version = (byte() << 16) | (byte() << 8) | byte();
    if (version < MIN_VERSION || version > MAX_VERSION) {
      throw new Error(
        `archive version ${version >> 16}.${(version >> 8) & 255} is not one this reader knows`,
      );
    }
    this.intSize = byte();
    const offSize = byte();
    if (this.intSize < 1 || this.intSize > 8 || offSize < 1 || offSize > 16) {
      throw new Error(`unexpected integer/offset sizes ${this.intSize}/${offSize}`);
    }
    const format = byte();
    if (format !== 1) throw new Error(`archive format ${format} is not custom (1)`);
    const compression = version >= K_VERS_1_15 ? byte() : int();
    if (compression !== 0) throw new Error('the archive data is compressed (pg_dump --compress)');
    for (let i = 0; i < 7; i++) int(); // creation time
    str(); // database
    str(); // server version
    str(); // pg_dump version
    const count = int();
    if (count < 0) throw new Error('negative TOC entry count');
    const byId = new Map<number, TocTable>();
    const order: TocTable[] = [];
    for (let i = 0; i < count; i++) {
      const dumpId = int();
      if (dumpId <= 0) throw new Error(`TOC entry id ${dumpId} out of range`);
      int(); // had a data dumper
      str(); // catalog tableoid
      str(); // catalog oid
      const tag = str();
      const desc = str();
      int(); // section
      str(); // definition
      str(); // drop statement
      const copyStmt = str();
      const namespace = str();
      str(); // tablespace
      if (version >= K_VERS_1_14) str(); // table access method
      if (version >= K_VERS_1_16) int(); // relkind
      str(); // owner
      str(); // "false" (with OIDs)
      while (str() !== null); // dependencies
      need(1 + offSize); // data offset: flag byte + offSize bytes
      p += 1 + offSize;
      // Only COPY data is counted: a TABLE DATA entry without a COPY statement holds INSERTs.
      if (desc === 'TABLE DATA' && tag !== null && copyStmt?.startsWith('COPY ')) {
        if (byId.has(dumpId)) throw new Error(`TOC entry id ${dumpId} appears twice`);
        const entry: TocTable = { schema: namespace ?? '', table: tag, rows: -1 };
        byId.set(dumpId, entry);
        order.push(entry);
      }
    }
    this.version = version;
    this.byId = byId;
    this.order = order;
    return p;
  }

  /** Reads data blocks from `b[p..]`, keeping state across calls. */
  private scan(b: Buffer, p: number): void {
    const n = b.length;
    const intBytes = 1 + this.intSize;
    // Newlines are counted per span: from the first payload byte of a counted block in `b` to the
    // block's end (or the end of `b`), in one call, less the newline bytes of the chunk headers
    // inside the span (`headerNewlines`).
    this.spanStart = -1;
    while (p < n) {
      const state = this.state;
      if (state === S_CHUNK_LEN && this.intLeft === intBytes && p + intBytes <= n) {
        // Fast path: the whole length is in this buffer.
        const value = readInt(b, p, this.intSize);
        if (this.spanStart >= 0) {
          for (let i = p; i < p + intBytes; i++) if (b[i] === 10) this.headerNewlines++;
        }
        p += intBytes;
        if (value > 0) {
          this.chunkLeft = value;
          this.state = S_CHUNK_DATA;
        } else {
          if (value === 0) this.flushSpan(b, p);
          if (!this.onInt(value)) return;
        }
        continue;
      }
      if (state === S_CHUNK_DATA) {
        const end = Math.min(p + this.chunkLeft, n);
        if (this.current !== undefined) {
          if (this.spanStart < 0) {
            this.spanStart = p;
            this.headerNewlines = 0;
          }
          this.noteTail(b, p, end);
        }
        this.chunkLeft -= end - p;
        p = end;
        if (this.chunkLeft === 0) this.expectInt(S_CHUNK_LEN);
        continue;
      }
      if (state === S_BLOB_CHUNK_DATA) {
        const end = Math.min(p + this.chunkLeft, n);
        this.chunkLeft -= end - p;
        p = end;
        if (this.chunkLeft === 0) this.expectInt(S_BLOB_CHUNK_LEN);
        continue;
      }
      if (state === S_BLOCK_TYPE) {
        const type = b[p++]!;
        if (type !== BLK_DATA && type !== BLK_BLOBS) {
          this.fail(`unknown data block type ${type}`);
          return;
        }
        this.blockType = type;
        this.expectInt(S_BLOCK_ID);
        continue;
      }
      // An int split across pushes (or any other int): byte by byte.
      while (this.intLeft > 0 && p < n) {
        const v = b[p++]!;
        if (v === 10 && this.spanStart >= 0) this.headerNewlines++;
        if (this.intShift < 0) {
          this.intNegative = v !== 0;
          this.intShift = 0;
        } else {
          this.intValue += v * 2 ** this.intShift;
          this.intShift += 8;
        }
        this.intLeft--;
      }
      if (this.intLeft > 0) break;
      const value = this.intNegative ? -this.intValue : this.intValue;
      if (state === S_CHUNK_LEN && value === 0) this.flushSpan(b, p);
      if (!this.onInt(value)) return;
    }
    this.flushSpan(b, p);
  }

  /** Adds the newlines of the open span `b[spanStart..end)` (headers excluded) to the block's rows. */
  private flushSpan(b: Buffer, end: number): void {
    if (this.spanStart < 0) return;
    this.currentRows += this.countNewlines(b, this.spanStart, end) - this.headerNewlines;
    this.spanStart = -1;
    this.headerNewlines = 0;
  }

  /**
   * Remembers where the last {@link TAIL} payload bytes of the current block are: a reference to
   * the buffer for a segment at least that long, else a copy joined with the previous tail.
   */
  private noteTail(b: Buffer, start: number, end: number): void {
    this.payloadBytes += end - start;
    if (end - start >= TAIL) {
      this.tailBuf = b;
      this.tailEnd = end;
      return;
    }
    const previous = this.tailBytes();
    const joined = new Uint8Array(TAIL);
    const keep = Math.min(previous.length, TAIL - (end - start));
    joined.set(previous.subarray(previous.length - keep), 0);
    joined.set(b.subarray(start, end), keep);
    this.tailBuf = joined;
    this.tailEnd = keep + (end - start);
  }

  /** The last (at most {@link TAIL}) payload bytes of the current block. */
  private tailBytes(): Uint8Array {
    return this.tailBuf.subarray(Math.max(0, this.tailEnd - TAIL), this.tailEnd);
  }

  /**
   * Rows of the finished block: its newlines, less the end-of-data line `\.` and the empty lines
   * after it when pg_dump wrote them (PG 15 writes `\.\n\n\n`; a COPY text row is never `\.`).
   * -1 when the tail cannot be told apart.
   */
  private blockRows(): number {
    const t = this.tailBytes();
    let j = t.length;
    while (j > 0 && t[j - 1] === 10) j--;
    const trailing = t.length - j;
    if (trailing === 0) return this.currentRows;
    const whole = this.payloadBytes === t.length;
    if (j === 0) return whole ? this.currentRows : -1; // only newlines in view
    if (j >= 2 && t[j - 1] === 0x2e && t[j - 2] === 0x5c) {
      if (j >= 3 ? t[j - 3] === 10 : whole) return this.currentRows - trailing;
      if (j < 3) return -1;
    }
    return this.currentRows;
  }

  private expectInt(state: State): void {
    this.state = state;
    this.intLeft = 1 + this.intSize;
    this.intValue = 0;
    this.intNegative = false;
    this.intShift = -1;
  }

  /** Handles a completed int in the current state; false when counting failed. */
  private onInt(value: number): boolean {
    switch (this.state) {
      case S_BLOCK_ID: {
        if (this.blockType === BLK_DATA) {
          const table = this.byId.get(value);
          if (table !== undefined && table.rows >= 0) {
            this.fail(`data block ${value} appears twice`);
            return false;
          }
          this.current = table;
          this.currentRows = 0;
          this.payloadBytes = 0;
          this.tailBuf = EMPTY;
          this.tailEnd = 0;
          this.expectInt(S_CHUNK_LEN);
        } else {
          this.current = undefined;
          this.expectInt(S_BLOB_OID);
        }
        return true;
      }
      case S_CHUNK_LEN: {
        if (value < 0) {
          this.fail('negative chunk length');
          return false;
        }
        if (value === 0) {
          if (this.current !== undefined) {
            const rows = this.blockRows();
            this.current.rows = rows < 0 ? UNKNOWN : rows;
          }
          this.current = undefined;
          this.tailBuf = EMPTY;
          this.state = S_BLOCK_TYPE;
          return true;
        }
        this.chunkLeft = value;
        this.state = S_CHUNK_DATA;
        return true;
      }
      case S_BLOB_OID: {
        if (value === 0) this.state = S_BLOCK_TYPE;
        else this.expectInt(S_BLOB_CHUNK_LEN);
        return true;
      }
      case S_BLOB_CHUNK_LEN: {
        if (value < 0) {
          this.fail('negative chunk length');
          return false;
        }
        if (value === 0) {
          this.expectInt(S_BLOB_OID);
          return true;
        }
        this.chunkLeft = value;
        this.state = S_BLOB_CHUNK_DATA;
        return true;
      }
      default:
        this.fail('internal state error');
        return false;
    }
  }
}
