/** Reflected CRC-32C (Castagnoli) polynomial, as used by PostgreSQL (`src/include/port/pg_crc32c.h`). */
const POLY = 0x82f63b78;

/** Slicing-by-8 tables: `TABLES[k][b]` is the CRC of byte `b` followed by `k` zero bytes. */
const TABLES: Int32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0]![n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0]![n]!;
    for (let k = 1; k < 8; k++) {
      c = tables[0]![c & 0xff]! ^ (c >>> 8);
      tables[k]![n] = c;
    }
  }
  return tables;
})();

/**
 * Incremental CRC-32C (Castagnoli), the default per-file checksum of PostgreSQL backup manifests
 * (`pg_basebackup --manifest-checksums=CRC32C`, PG15 docs "Backup Manifest Format"). Slicing-by-8
 * in plain JavaScript. `new Crc32c().update(Buffer.from('123456789')).value` is `0xe3069283`.
 */
export class Crc32c {
  private crc = -1;

  /** Adds `data` to the checksum; returns `this`. */
  update(data: Uint8Array): this {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
    ];
    let crc = this.crc;
    let i = 0;
    const length = data.length;
    const fast = length - (length % 8);
    while (i < fast) {
      const a = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ crc;
      crc =
        t7[a & 0xff]! ^
        t6[(a >>> 8) & 0xff]! ^
        t5[(a >>> 16) & 0xff]! ^
        t4[a >>> 24]! ^
        t3[data[i + 4]!]! ^
        t2[data[i + 5]!]! ^
        t1[data[i + 6]!]! ^
        t0[data[i + 7]!]!;
      i += 8;
    }
    while (i < length) crc = t0[(crc ^ data[i++]!) & 0xff]! ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }

  /** The CRC as an unsigned 32-bit number. */
  get value(): number {
    return (this.crc ^ -1) >>> 0;
  }

  /**
   * The CRC as `backup_manifest` writes it: the 4 bytes of the value in little-endian order, as
   * hex (`pg_checksum_final` copies the native `uint32`; every supported server is little-endian
   * in practice, big-endian servers write the reverse).
   */
  get manifestHex(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(this.value);
    return out.toString('hex');
  }
}
