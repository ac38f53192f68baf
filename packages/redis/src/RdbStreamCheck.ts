import { Crc64 } from './crc64.js';
import { RdbFormatError } from './RdbFormatError.js';
import { RDB_OPCODE_EOF } from './rdbTypes.js';

/** What {@link RdbStreamCheck.finish} found. */
export interface RdbCheckResult {
  /** RDB format version from the `REDIS%04d` header. */
  rdbVersion: number;
  /** Size of the file in bytes. */
  bytes: number;
  /**
   * `verified`: the trailing CRC64 matched; `present`: a CRC64 is there but was not recomputed
   * (`verifyCrc: false`, the backup path: verify checks it); `disabled`: it is 0 (`rdbchecksum no`).
   */
  checksum: 'verified' | 'present' | 'disabled';
  /** The stored CRC64 as 16 lowercase hex digits (`0000000000000000` when disabled). */
  crc64: string;
}

const MAGIC = Buffer.from('REDIS');

/**
 * Streaming structural check of a whole RDB file, cheap enough to run on every backup: the
 * `REDIS%04d` magic and version, the `0xFF` EOF opcode before the trailer, and the trailing CRC64
 * (8 bytes little-endian, CRC-64/Jones over everything from `REDIS` through `0xFF`; a zero trailer
 * means the server runs with `rdbchecksum no` and is accepted), as `redis-check-rdb` checks it
 * (protocols.md 2.2, `redis/redis:src/rdb.c rdbSaveRio`).
 *
 * Feed every byte with {@link update}, then call {@link finish}. Both throw {@link RdbFormatError}.
 * With `verifyCrc: false` the CRC64 is only located, not recomputed (the cheap check a backup runs
 * while streaming: CRC-64 in JavaScript costs ~3 ns per byte; verify recomputes it).
 */
export class RdbStreamCheck {
  private readonly crc = new Crc64();
  private readonly verifyCrc: boolean;
  /** The last 8 bytes seen: not part of the CRC unless more bytes follow. */
  private tail = Buffer.alloc(0);
  /** The byte before `tail` (the last byte fed to the CRC). */
  private lastCrcByte = -1;
  private header = Buffer.alloc(0);
  private version: number | undefined;
  /** Bytes seen so far. */
  bytes = 0;

  /** @param options.verifyCrc recompute and compare the CRC64; default `true`. */
  constructor(options: { verifyCrc?: boolean } = {}) {
    this.verifyCrc = options.verifyCrc ?? true;
  }

  /** RDB version, once the 9-byte header was seen. */
  get rdbVersion(): number | undefined {
    return this.version;
  }

  update(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.version === undefined) {
      this.header = Buffer.concat([this.header, chunk.subarray(0, 9 - this.header.length)]);
      if (this.header.length === 9) this.version = parseHeader(this.header);
    }
    this.bytes += chunk.length;
    if (chunk.length >= 8) {
      if (this.tail.length > 0) {
        if (this.verifyCrc) this.crc.update(this.tail);
        this.lastCrcByte = this.tail[this.tail.length - 1]!;
      }
      if (chunk.length > 8) {
        if (this.verifyCrc) this.crc.update(chunk, 0, chunk.length - 8);
        this.lastCrcByte = chunk[chunk.length - 9]!;
      }
      this.tail = Buffer.from(chunk.subarray(chunk.length - 8));
      return;
    }
    const joined = Buffer.concat([this.tail, chunk]);
    const cut = Math.max(0, joined.length - 8);
    if (cut > 0) {
      if (this.verifyCrc) this.crc.update(joined, 0, cut);
      this.lastCrcByte = joined[cut - 1]!;
    }
    this.tail = joined.subarray(cut);
  }

  /** Checks the end of the file; call once, after the last {@link update}. */
  finish(): RdbCheckResult {
    if (this.version === undefined) {
      throw new RdbFormatError(`Not an RDB file: ${this.bytes} bytes, shorter than the 9-byte REDIS header`);
    }
    if (this.bytes < 18 || this.tail.length !== 8) {
      throw new RdbFormatError(`RDB file truncated: ${this.bytes} bytes`);
    }
    if (this.lastCrcByte !== RDB_OPCODE_EOF) {
      throw new RdbFormatError(
        `RDB file does not end with the EOF opcode 0xFF and an 8-byte checksum (truncated or corrupt)`,
        this.bytes - 9,
      );
    }
    const stored = this.tail.readBigUInt64LE(0);
    const hex = stored.toString(16).padStart(16, '0');
    if (stored === 0n) {
      return { rdbVersion: this.version, bytes: this.bytes, checksum: 'disabled', crc64: hex };
    }
    if (!this.verifyCrc) {
      return { rdbVersion: this.version, bytes: this.bytes, checksum: 'present', crc64: hex };
    }
    if (!this.crc.equalsLE(this.tail, 0)) {
      const computed = this.crc.digest().toString(16).padStart(16, '0');
      throw new RdbFormatError(
        `RDB checksum mismatch: the file says CRC64 ${hex}, its content has ${computed} (corrupt data)`,
        this.bytes - 8,
      );
    }
    return { rdbVersion: this.version, bytes: this.bytes, checksum: 'verified', crc64: hex };
  }
}

function parseHeader(header: Buffer): number {
  const digits = header.toString('latin1', 5, 9);
  if (!header.subarray(0, 5).equals(MAGIC) || !/^\d{4}$/.test(digits)) {
    throw new RdbFormatError(
      `Not an RDB file: it starts with ${JSON.stringify(header.toString('latin1'))}, not REDIS<4-digit version>`,
      0,
    );
  }
  const version = Number(digits);
  if (version < 1) throw new RdbFormatError(`Invalid RDB version ${version}`, 5);
  return version;
}
