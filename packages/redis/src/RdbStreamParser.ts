import { moduleTypeName } from './moduleTypeName.js';
import { NEED_MORE, RdbBufferReader } from './RdbBufferReader.js';
import { RdbFormatError } from './RdbFormatError.js';
import { type RdbCheckResult, RdbStreamCheck } from './RdbStreamCheck.js';
import {
  isRdbObjectType,
  RDB_MODULE_OPCODE_UINT,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION_PRE_GA,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_OPCODE_SLOT_INFO,
  rdbTypeName,
} from './rdbTypes.js';
import { skipModuleOpcodes, skipRdbValue } from './skipRdbValue.js';

/** One key of an RDB, with its value bytes exactly as serialized (the body of a DUMP payload). */
export interface RdbKeyEntry {
  kind: 'key';
  /** Database number (`SELECTDB`). */
  db: number;
  /** Key name (decoded: integer and LZF encodings expanded). */
  key: Buffer;
  /** RDB value type byte (`RDB_TYPE_*`). */
  type: number;
  /** Serialized value bytes after the key, as `rdbSaveObject` wrote them. Valid until the next `push`. */
  value: Buffer;
  /** Absolute expiry in Unix milliseconds (`EXPIRETIME_MS`, or `EXPIRETIME` x 1000). */
  expireAt: number | undefined;
  /** LRU idle seconds (`IDLE`), for `RESTORE ... IDLETIME`. */
  idle: number | undefined;
  /** LFU frequency (`FREQ`), for `RESTORE ... FREQ`. */
  freq: number | undefined;
  /** Module type name (`graphdata`...) for `RDB_TYPE_MODULE_2` values. */
  module: string | undefined;
  /** Offset of the record in the file. */
  offset: number;
}

/** A function library (`RDB_OPCODE_FUNCTION2`): the opcode byte and its string, as FUNCTION DUMP frames it. */
export interface RdbFunctionEntry {
  kind: 'function';
  raw: Buffer;
}

/** Module auxiliary data (`RDB_OPCODE_MODULE_AUX`): module-global state, not attached to a key. */
export interface RdbModuleAuxEntry {
  kind: 'module-aux';
  module: string;
}

/** What {@link RdbStreamParser.push} yields. */
export type RdbEntry = RdbKeyEntry | RdbFunctionEntry | RdbModuleAuxEntry;

/** Facts about a completely parsed RDB, from {@link RdbStreamParser.end}. */
export interface RdbSummary extends RdbCheckResult {
  /** AUX fields (`redis-ver`, `ctime`, `used-mem`, `repl-id`...). */
  aux: Record<string, string>;
  /** Keys per database, e.g. `{ db0: 10, db3: 2 }`. */
  keys: Record<string, number>;
  /** Keys per data type (`string`, `hash`, `module:graphdata`...). */
  types: Record<string, number>;
  /** Function libraries. */
  functions: number;
  /** Modules with auxiliary data. */
  moduleAux: string[];
}

/** What {@link RdbStreamParser.end} returns: the entries the last bytes completed, and the file's facts. */
export interface RdbParseEnd {
  entries: RdbEntry[];
  summary: RdbSummary;
}

/**
 * Push parser of a whole RDB file (protocols.md 2.2; `rdbLoadRioWithLoadingCtx` in
 * `redis/redis:src/rdb.c`). Walks the opcodes (AUX, SELECTDB, RESIZEDB, SLOT_INFO,
 * EXPIRETIME(_MS), IDLE, FREQ, MODULE_AUX, FUNCTION2, EOF) and, for each key, copies its raw value
 * bytes by following the length/string encodings of its type ({@link skipRdbValue}) without
 * decoding values, so they can become DUMP payloads unchanged. Runs {@link RdbStreamCheck} over
 * every byte (magic, version, CRC64).
 *
 * Feed chunks of any size with {@link push}; a structure split across chunks is retried when
 * enough bytes arrived (the wait doubles, so huge values cost linear time). Call {@link end}
 * after the last chunk.
 *
 * @throws RdbFormatError from `push`/`end` on malformed, truncated or corrupt data.
 */
export class RdbStreamParser {
  private readonly check = new RdbStreamCheck();
  private readonly reader = new RdbBufferReader(Buffer.alloc(0));
  private readonly collect: boolean;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes to wait for before retrying a structure that did not fit. */
  private wanted = 0;
  private headerDone = false;
  private eofOffset = -1;
  private db = 0;
  private expireAt: number | undefined;
  private idle: number | undefined;
  private freq: number | undefined;
  private readonly auxFields: Record<string, string> = {};
  private readonly keys: Record<string, number> = {};
  private readonly types: Record<string, number> = {};
  private functions = 0;
  private readonly moduleAux: string[] = [];

  /** @param options.collect `false` counts keys without returning entries (verify). Default `true`. */
  constructor(options: { collect?: boolean } = {}) {
    this.collect = options.collect ?? true;
  }

  /** RDB version once the header was read. */
  get rdbVersion(): number | undefined {
    return this.check.rdbVersion;
  }

  /** AUX fields read so far. */
  get aux(): Readonly<Record<string, string>> {
    return this.auxFields;
  }

  /** Parses what `chunk` completes; returns the entries found (empty with `collect: false`). */
  push(chunk: Buffer): RdbEntry[] {
    this.check.update(chunk);
    if (this.eofOffset >= 0) return [];
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.reader.available + this.pendingBytes < this.wanted) return [];
    this.absorbPending();
    const out: RdbEntry[] = [];
    this.parseAvailable(out);
    return out;
  }

  /**
   * Parses what is left, checks that the file ended exactly after its EOF opcode and checksum, and
   * returns the last entries and the file's facts.
   */
  end(): RdbParseEnd {
    const out: RdbEntry[] = [];
    if (this.eofOffset < 0) {
      this.absorbPending();
      this.parseAvailable(out);
    }
    const result = this.check.finish();
    if (this.eofOffset < 0) {
      throw new RdbFormatError(
        `RDB file truncated: it ends inside a record (${result.bytes} bytes)`,
        result.bytes,
      );
    }
    if (this.eofOffset + 9 !== result.bytes) {
      throw new RdbFormatError(
        `RDB file has ${result.bytes - this.eofOffset - 9} unexpected bytes after its EOF opcode`,
        this.eofOffset,
      );
    }
    const summary: RdbSummary = {
      ...result,
      aux: { ...this.auxFields },
      keys: { ...this.keys },
      types: { ...this.types },
      functions: this.functions,
      moduleAux: [...this.moduleAux],
    };
    return { entries: out, summary };
  }

  private absorbPending(): void {
    if (this.pending.length === 0) return;
    const r = this.reader;
    const rest = r.buf.subarray(r.pos);
    const base = r.base + r.pos;
    r.buf =
      rest.length === 0 && this.pending.length === 1
        ? this.pending[0]!
        : Buffer.concat([rest, ...this.pending]);
    r.pos = 0;
    r.base = base;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private parseAvailable(out: RdbEntry[]): void {
    const r = this.reader;
    for (;;) {
      const start = r.pos;
      try {
        if (!this.parseOne(r, out)) return;
        this.wanted = 0;
      } catch (error) {
        if (error !== NEED_MORE) throw error;
        r.pos = start;
        this.wanted = Math.max(64, 2 * (r.buf.length - start));
        return;
      }
    }
  }

  /** Parses one opcode or key record; false at EOF. */
  private parseOne(r: RdbBufferReader, out: RdbEntry[]): boolean {
    if (!this.headerDone) {
      r.skip(9); // validated by RdbStreamCheck
      this.headerDone = true;
      return true;
    }
    if (this.eofOffset >= 0) return false;
    const start = r.pos;
    const type = r.u8();
    switch (type) {
      case RDB_OPCODE_AUX: {
        const name = r.readString();
        const value = r.readString();
        this.auxFields[name.toString('utf8')] = value.toString('utf8');
        return true;
      }
      case RDB_OPCODE_RESIZEDB:
        r.skipLength();
        r.skipLength();
        return true;
      case RDB_OPCODE_SLOT_INFO:
        r.skipLength();
        r.skipLength();
        r.skipLength();
        return true;
      case RDB_OPCODE_EXPIRETIME_MS:
        this.expireAt = r.i64le();
        return true;
      case RDB_OPCODE_EXPIRETIME:
        this.expireAt = r.i32le() * 1000;
        return true;
      case RDB_OPCODE_SELECTDB:
        this.db = r.readLength();
        return true;
      case RDB_OPCODE_FREQ:
        this.freq = r.u8();
        return true;
      case RDB_OPCODE_IDLE:
        this.idle = Number(r.readLengthBig());
        return true;
      case RDB_OPCODE_MODULE_AUX: {
        const id = r.readLengthBig();
        const whenOpcode = r.readLength();
        if (whenOpcode !== RDB_MODULE_OPCODE_UINT) r.fail('Module AUX data with a bad "when" opcode');
        r.skipLength();
        skipModuleOpcodes(r);
        const module = moduleTypeName(id).name;
        this.moduleAux.push(module);
        if (this.collect) out.push({ kind: 'module-aux', module });
        return true;
      }
      case RDB_OPCODE_FUNCTION_PRE_GA:
        return r.fail('Function libraries of Redis 7.0 release candidates are not supported, as in Redis');
      case RDB_OPCODE_FUNCTION2:
        r.skipString();
        this.functions++;
        if (this.collect) out.push({ kind: 'function', raw: r.buf.subarray(start, r.pos) });
        return true;
      case RDB_OPCODE_EOF:
        this.eofOffset = r.base + start;
        return false;
      default: {
        if (!isRdbObjectType(type)) {
          r.pos = start;
          return r.fail(`Unknown RDB opcode or value type ${type}`);
        }
        const key = r.readString();
        const valueStart = r.pos;
        const moduleId = skipRdbValue(r, type);
        const module = moduleId === undefined ? undefined : moduleTypeName(moduleId).name;
        const dbName = `db${this.db}`;
        this.keys[dbName] = (this.keys[dbName] ?? 0) + 1;
        const typeName = module === undefined ? rdbTypeName(type) : `module:${module}`;
        this.types[typeName] = (this.types[typeName] ?? 0) + 1;
        if (this.collect) {
          out.push({
            kind: 'key',
            db: this.db,
            key,
            type,
            value: r.buf.subarray(valueStart, r.pos),
            expireAt: this.expireAt,
            idle: this.idle,
            freq: this.freq,
            module,
            offset: r.base + start,
          });
        }
        this.expireAt = undefined;
        this.idle = undefined;
        this.freq = undefined;
        return true;
      }
    }
  }
}
