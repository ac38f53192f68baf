/** `xlp_info` flag of a long page header (PG15 `src/include/access/xlog_internal.h`). */
const XLP_LONG_HEADER = 0x0002;

/** Facts of the long page header that starts every WAL segment. */
export interface WalPageHeader {
  /** `xlp_magic`: identifies the WAL format version (0xD110 for PG15). */
  magic: number;
  /** `xlp_tli`: timeline of the page. */
  timeline: number;
  /** `xlp_sysid`: the cluster's system identifier, decimal. */
  systemIdentifier: string;
  /** `xlp_seg_size`: segment size in bytes. */
  segmentSize: number;
}

/**
 * Reads the `XLogLongPageHeaderData` at the start of a WAL segment: `xlp_magic` (uint16 at 0),
 * `xlp_info` (uint16 at 2, must have `XLP_LONG_HEADER`), `xlp_tli` (uint32 at 4), `xlp_sysid`
 * (uint64 at 24), `xlp_seg_size` (uint32 at 32); little-endian as written on x86/ARM servers
 * (PG15 `src/include/access/xlog_internal.h`). Returns `undefined` when `data` does not start with a
 * long page header (a history or backup file, or a zeroed file).
 */
export function readWalPageHeader(data: Uint8Array): WalPageHeader | undefined {
  if (data.length < 40) return undefined;
  const view = Buffer.from(data.buffer, data.byteOffset, 40);
  const info = view.readUInt16LE(2);
  if ((info & XLP_LONG_HEADER) === 0) return undefined;
  return {
    magic: view.readUInt16LE(0),
    timeline: view.readUInt32LE(4),
    systemIdentifier: view.readBigUInt64LE(24).toString(),
    segmentSize: view.readUInt32LE(32),
  };
}
