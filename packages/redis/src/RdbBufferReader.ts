import { lzfDecompress } from './lzfDecompress.js';
import { RdbFormatError } from './RdbFormatError.js';

/**
 * Thrown (as one shared instance, no stack) by {@link RdbBufferReader} when the buffer ends inside
 * a structure: the streaming parser retries the structure once more bytes arrived.
 */
export class RdbNeedMoreData extends Error {
  constructor() {
    super('RDB data ends inside a structure');
    this.name = 'RdbNeedMoreData';
  }
}

/** The shared instance thrown by {@link RdbBufferReader}. */
export const NEED_MORE: RdbNeedMoreData = new RdbNeedMoreData();

/** Largest length this reader accepts for a string or element count (Number precision). */
const MAX_LENGTH = Number.MAX_SAFE_INTEGER;

/**
 * A cursor over a buffer holding part of an RDB stream, reading the RDB primitives of
 * `redis/redis:src/rdb.c` (protocols.md 2.2):
 *
 * - lengths (`rdbLoadLen`): `00xxxxxx` 6 bits, `01xxxxxx xxxxxxxx` 14 bits, `0x80` + 32-bit BE,
 *   `0x81` + 64-bit BE, `11xxxxxx` a special string encoding (`RDB_ENC_INT8/16/32`, `RDB_ENC_LZF`);
 * - strings (`rdbGenericLoadStringObject`): length + bytes, little-endian integers printed in
 *   decimal, or LZF (`compressed length`, `length`, data).
 *
 * Every method throws {@link NEED_MORE} when the buffer ends first, and {@link RdbFormatError} on
 * malformed data; `pos` only advances on success of a whole primitive.
 */
export class RdbBufferReader {
  /** The bytes available. */
  buf: Buffer;
  /** Read position in `buf`. */
  pos: number;
  /** Offset of `buf[0]` in the whole stream, for error messages. */
  base: number;
  /** Set by {@link readLengthOrEncoding}: the last length was a special string encoding. */
  encoded = false;

  constructor(buf: Buffer, pos = 0, base = 0) {
    this.buf = buf;
    this.pos = pos;
    this.base = base;
  }

  /** Bytes left after `pos`. */
  get available(): number {
    return this.buf.length - this.pos;
  }

  /** Stream offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Throws {@link RdbFormatError} with the current stream offset. */
  fail(message: string): never {
    throw new RdbFormatError(message, this.offset);
  }

  /** Throws {@link NEED_MORE} unless `n` more bytes are available. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) throw NEED_MORE;
  }

  /** One unsigned byte. */
  u8(): number {
    if (this.pos >= this.buf.length) throw NEED_MORE;
    return this.buf[this.pos++]!;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    if (this.pos + n > this.buf.length) throw NEED_MORE;
    this.pos += n;
  }

  /** The next `n` bytes (a view into `buf`, not a copy). */
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw NEED_MORE;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Signed 32-bit little-endian (`RDB_OPCODE_EXPIRETIME` seconds). */
  i32le(): number {
    this.ensure(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Signed 64-bit little-endian millisecond time (`rdbLoadMillisecondTime`), as a Number. */
  i64le(): number {
    this.ensure(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  /**
   * Reads a length or a special-encoding marker: sets `encoded` and returns the length, or the
   * encoding number (`RDB_ENC_*`) when `encoded` is true.
   */
  readLengthOrEncoding(): number {
    const start = this.pos;
    const b = this.u8();
    const kind = b >> 6;
    this.encoded = false;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) {
      if (this.pos >= this.buf.length) {
        this.pos = start;
        throw NEED_MORE;
      }
      return ((b & 0x3f) << 8) | this.buf[this.pos++]!;
    }
    if (kind === 3) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (b === 0x80) {
      if (this.pos + 4 > this.buf.length) {
        this.pos = start;
        throw NEED_MORE;
      }
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      if (this.pos + 8 > this.buf.length) {
        this.pos = start;
        throw NEED_MORE;
      }
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      if (v > BigInt(MAX_LENGTH)) {
        this.pos = start;
        this.fail(`RDB length ${v} is too large`);
      }
      return Number(v);
    }
    this.pos = start;
    return this.fail(`Invalid RDB length byte 0x${b.toString(16)}`);
  }

  /** A plain length (element count, DB number...). */
  readLength(): number {
    const start = this.pos;
    const n = this.readLengthOrEncoding();
    if (this.encoded) {
      this.pos = start;
      this.fail('Expected an RDB length, found a string encoding');
    }
    return n;
  }

  /** A length that may exceed 2^53 (module ids, stream ids), as a bigint. */
  readLengthBig(): bigint {
    const start = this.pos;
    const b = this.u8();
    if (b === 0x81) {
      if (this.pos + 8 > this.buf.length) {
        this.pos = start;
        throw NEED_MORE;
      }
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return v;
    }
    this.pos = start;
    return BigInt(this.readLength());
  }

  /** Skips a length without converting it (stream ids and counters may use all 64 bits). */
  skipLength(): void {
    const start = this.pos;
    const b = this.u8();
    const kind = b >> 6;
    let extra = 0;
    if (kind === 1) extra = 1;
    else if (b === 0x80) extra = 4;
    else if (b === 0x81) extra = 8;
    else if (kind !== 0) {
      this.pos = start;
      this.fail(`Invalid RDB length byte 0x${b.toString(16)}`);
    }
    if (this.pos + extra > this.buf.length) {
      this.pos = start;
      throw NEED_MORE;
    }
    this.pos += extra;
  }

  /** Skips a string in any encoding. */
  skipString(): void {
    const start = this.pos;
    try {
      const n = this.readLengthOrEncoding();
      if (!this.encoded) {
        this.skip(n);
        return;
      }
      if (n === 0) this.skip(1);
      else if (n === 1) this.skip(2);
      else if (n === 2) this.skip(4);
      else if (n === 3) {
        const compressed = this.readLength();
        this.readLength();
        this.skip(compressed);
      } else {
        this.pos = start;
        this.fail(`Unknown RDB string encoding ${n}`);
      }
    } catch (error) {
      this.pos = start;
      throw error;
    }
  }

  /** Reads a string in any encoding as its bytes (integers as decimal ASCII, LZF decompressed). */
  readString(): Buffer {
    const start = this.pos;
    try {
      const n = this.readLengthOrEncoding();
      if (!this.encoded) return this.bytes(n);
      switch (n) {
        case 0:
          this.ensure(1);
          return Buffer.from(String(this.buf.readInt8(this.pos++)));
        case 1: {
          this.ensure(2);
          const v = this.buf.readInt16LE(this.pos);
          this.pos += 2;
          return Buffer.from(String(v));
        }
        case 2: {
          this.ensure(4);
          const v = this.buf.readInt32LE(this.pos);
          this.pos += 4;
          return Buffer.from(String(v));
        }
        case 3: {
          const compressed = this.readLength();
          const length = this.readLength();
          const data = this.bytes(compressed);
          try {
            return lzfDecompress(data, length);
          } catch (error) {
            throw new RdbFormatError((error as Error).message, this.base + start);
          }
        }
        default:
          this.pos = start;
          return this.fail(`Unknown RDB string encoding ${n}`);
      }
    } catch (error) {
      this.pos = start;
      throw error;
    }
  }
}
