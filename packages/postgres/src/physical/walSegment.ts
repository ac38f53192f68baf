import { BackupError } from '@backup/core';
import type { Lsn } from './lsn.js';

/** Default WAL segment size, 16 MiB (`initdb --wal-segsize`, PG15 docs "WAL Internals"). */
export const DEFAULT_WAL_SEGMENT_SIZE = 16 * 1024 * 1024;

/**
 * Number of the WAL segment holding `lsn`: `lsn / segmentSize` (PG `XLByteToSeg`,
 * `src/include/access/xlog_internal.h`).
 * @param segmentSize bytes per segment, a power of two from 1 MiB to 1 GiB; default 16 MiB.
 */
export function segmentOf(lsn: Lsn, segmentSize = DEFAULT_WAL_SEGMENT_SIZE): bigint {
  checkSegmentSize(segmentSize);
  return lsn / BigInt(segmentSize);
}

/**
 * The 24-hex-digit file name of segment `segment` on `timeline`: `TTTTTTTT` + `XXXXXXXX` +
 * `YYYYYYYY` with X = segment / segments-per-4-GiB and Y = the remainder (PG `XLogFileName`,
 * `src/include/access/xlog_internal.h`). `walFileName(1, 2n)` is `000000010000000000000002` for
 * 16 MiB segments.
 */
export function walFileName(
  timeline: number,
  segment: bigint,
  segmentSize = DEFAULT_WAL_SEGMENT_SIZE,
): string {
  checkSegmentSize(segmentSize);
  const perId = 0x100000000n / BigInt(segmentSize);
  return hex8(BigInt(timeline)) + hex8(segment / perId) + hex8(segment % perId);
}

/**
 * Inverse of {@link walFileName} for the 24 hex digits of a segment name (any suffix ignored):
 * `{ timeline, segment }`.
 * @throws BackupError `CONFIG_INVALID` when `name` does not start with 24 hex digits.
 */
export function parseWalFileName(
  name: string,
  segmentSize = DEFAULT_WAL_SEGMENT_SIZE,
): { timeline: number; segment: bigint } {
  checkSegmentSize(segmentSize);
  if (!/^[0-9A-F]{24}/.test(name)) {
    throw new BackupError('CONFIG_INVALID', `"${name}" is not a WAL segment file name (24 hex digits)`);
  }
  const perId = 0x100000000n / BigInt(segmentSize);
  const timeline = Number.parseInt(name.slice(0, 8), 16);
  const high = BigInt(`0x${name.slice(8, 16)}`);
  const low = BigInt(`0x${name.slice(16, 24)}`);
  return { timeline, segment: high * perId + low };
}

function hex8(value: bigint): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

function checkSegmentSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 << 20 || size > 1 << 30 || (size & (size - 1)) !== 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `WAL segment size ${size} must be a power of two from 1 MiB to 1 GiB`,
    );
  }
}
