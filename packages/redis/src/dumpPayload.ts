import { Crc64 } from './crc64.js';
import { RdbFormatError } from './RdbFormatError.js';

/** Bytes after the value in a DUMP payload: RDB version (2, LE) + CRC64 (8, LE). */
const FOOTER = 10;

/**
 * Builds the payload `DUMP key` returns and `RESTORE` accepts from an RDB value: `<type byte>
 * <value bytes> <RDB version, 2 bytes LE> <CRC64-Jones of everything before, 8 bytes LE>`
 * (`createDumpPayload` in `redis/redis:src/cluster.c`, protocols.md 2.3). The value bytes are the
 * ones {@link RdbStreamParser} copies, so nothing is re-encoded.
 */
export function buildDumpPayload(type: number, value: Uint8Array, rdbVersion: number): Buffer {
  const payload = Buffer.allocUnsafe(1 + value.length + FOOTER);
  payload[0] = type;
  payload.set(value, 1);
  const at = 1 + value.length;
  payload.writeUInt16LE(rdbVersion, at);
  new Crc64().update(payload, 0, at + 2).writeLE(payload, at + 2);
  return payload;
}

/** What {@link checkDumpPayload} reads from a payload's footer. */
export interface DumpPayloadInfo {
  /** RDB value type byte. */
  type: number;
  /** RDB version of the server that produced it. */
  rdbVersion: number;
}

/**
 * Checks a DUMP payload's footer as `verifyDumpPayload` does (`redis/redis:src/cluster.c`): at
 * least type + footer, and the trailing CRC64 over all preceding bytes (DUMP always computes it,
 * whatever `rdbchecksum` says). Does not compare the version with a server's.
 *
 * @throws RdbFormatError naming the problem.
 */
export function checkDumpPayload(payload: Uint8Array): DumpPayloadInfo {
  if (payload.length < 1 + FOOTER) {
    throw new RdbFormatError(
      `DUMP payload of ${payload.length} bytes is shorter than type + version + CRC64`,
    );
  }
  const at = payload.length - FOOTER;
  const rdbVersion = payload[at]! | (payload[at + 1]! << 8);
  if (!new Crc64().update(payload, 0, at + 2).equalsLE(payload, at + 2)) {
    throw new RdbFormatError('DUMP payload CRC64 does not match its content (corrupt payload)');
  }
  return { type: payload[0]!, rdbVersion };
}
