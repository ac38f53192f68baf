import { BackupError } from '@backup/core';
import { checkDumpPayload } from './dumpPayload.js';
import type { RespArg } from './encodeResp.js';
import {
  type KeysHeader,
  type KeysTrailer,
  REDIS_KEYS_FORMAT,
  REDIS_KEYS_FORMAT_VERSION,
} from './keysFormat.js';
import { moduleTypeName } from './moduleTypeName.js';
import { type RespConnection, RespError, type RespReply } from './RespConnection.js';
import { RDB_TYPE_MODULE_2, rdbTypeName } from './rdbTypes.js';
import { redisFailure } from './redisFailure.js';

/** Options of {@link exportKeys}. */
export interface ExportKeysOptions {
  /** A connection to the server with `db` selected ({@link RespConnection.open}); not closed here. */
  connection: RespConnection;
  db: number;
  /** `host:port` for the header and messages. */
  source: string;
  serverVersion: string;
  /** SCAN MATCH pattern; default all keys. */
  match?: string | undefined;
  /** SCAN COUNT hint per round trip; default 250 (bounds memory: docs/performance.md). */
  scanCount?: number | undefined;
  /**
   * How expiries are read: `pexpiretime` (Redis 7.0+: absolute Unix ms on the server clock, exact)
   * or `pttl` (older servers: remaining ms, made absolute with the server's `TIME` of the batch).
   */
  ttlCommand: 'pexpiretime' | 'pttl';
  signal?: AbortSignal | undefined;
}

/** Counts of an export, filled while it runs. */
export interface ExportKeysStats {
  records: number;
  vanished: number;
  rdbVersion: number | null;
  types: Record<string, number>;
}

/**
 * Streams one database as a keys-mode artifact (`keysFormat.ts`, docs/format.md): `SCAN cursor
 * [MATCH pattern] COUNT n` and, pipelined in the same round trip, `DUMP` + `PEXPIRETIME` (or
 * `PTTL` + `TIME`) for every key of the previous SCAN batch. Yields NDJSON bytes (UTF-8), one batch
 * per yield, with the header first and the trailer last.
 *
 * Not a point-in-time snapshot: keys written during the scan may or may not be included (SCAN's
 * guarantee: keys present for the whole scan are returned). Keys that expire or are deleted between
 * SCAN and DUMP are skipped and counted as `vanished`. SCAN may return a key twice (while the
 * dictionary rehashes); the duplicate record is written and the restore keeps the later copy.
 *
 * @throws BackupError `SOURCE_FAILED` (a refused command such as `NOPERM`, a dropped connection, a
 *   slot that moved during a cluster export), `ABORTED`.
 */
export async function* exportKeys(
  options: ExportKeysOptions,
  stats: ExportKeysStats,
): AsyncGenerator<Buffer> {
  const { connection, signal } = options;
  const count = options.scanCount ?? 250;
  const scanCommand = (cursor: Buffer | string): RespArg[] =>
    options.match === undefined
      ? ['SCAN', cursor, 'COUNT', count]
      : ['SCAN', cursor, 'MATCH', options.match, 'COUNT', count];
  const what = `Exporting keys of db ${options.db} from ${options.source}`;
  const header: KeysHeader = {
    format: REDIS_KEYS_FORMAT,
    version: REDIS_KEYS_FORMAT_VERSION,
    db: options.db,
    source: options.source,
    serverVersion: options.serverVersion,
    match: options.match ?? null,
    startedAt: new Date().toISOString(),
  };
  yield Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');

  // Each round trip carries DUMP + expiry for the keys of the previous SCAN batch and the next
  // SCAN; the next round trip is sent before this one's lines are formatted and written, so the
  // server works while we encode. At most two round trips (~2 x scanCount keys) are in memory.
  const pexpiretime = options.ttlCommand === 'pexpiretime';
  const send = (keys: Buffer[], cursor: Buffer | undefined): Promise<RespReply[]> => {
    const commands: RespArg[][] = [];
    if (keys.length > 0 && !pexpiretime) commands.push(['TIME']);
    for (const key of keys) commands.push(['DUMP', key], [pexpiretime ? 'PEXPIRETIME' : 'PTTL', key]);
    if (cursor !== undefined) commands.push(scanCommand(cursor));
    const sent = connection.call(commands);
    sent.catch(() => {}); // awaited below; never an unhandled rejection while we format
    return sent;
  };
  const receive = async (inFlight: Promise<RespReply[]>): Promise<RespReply[]> => {
    let results: RespReply[];
    try {
      results = await inFlight;
    } catch (error) {
      throw redisFailure(error, 'SOURCE_FAILED', what);
    }
    const failed = results.find((r) => r instanceof RespError);
    if (failed) throw redisFailure(failed, 'SOURCE_FAILED', what);
    return results;
  };

  let [cursor, keys] = parseScan((await receive(send([], Buffer.from('0'))))[0]);
  let inFlight = send(keys, more(cursor) ? cursor : undefined);
  for (;;) {
    if (signal?.aborted) throw new BackupError('ABORTED', `${what}: aborted`);
    const results = await receive(inFlight);
    const batch = keys;
    const hasMore = more(cursor);
    if (hasMore) {
      [cursor, keys] = parseScan(results[results.length - 1]);
      inFlight = send(keys, more(cursor) ? cursor : undefined);
    }
    let at = 0;
    let serverNow = 0;
    if (batch.length > 0 && !pexpiretime) {
      const [seconds, micros] = results[at++] as [Buffer, Buffer];
      serverNow =
        Number(seconds.toString('latin1')) * 1000 + Math.floor(Number(micros.toString('latin1')) / 1000);
    }
    // Records go straight into one Buffer per round trip: a JavaScript string of the whole batch
    // (~300 KB for 1000 keys) would be allocated in V8's large-object space, which only a full GC
    // frees, and that garbage made most of the keys-mode peak RSS. The small per-record base64
    // strings die young. Records are ASCII (base64, numbers, JSON type names), so latin1 is exact.
    let size = 0;
    for (let i = 0; i < batch.length; i++) {
      const dump = results[at + 2 * i] as Buffer | null;
      if (dump !== null) size += RECORD_OVERHEAD + base64Length(batch[i]!.length) + base64Length(dump.length);
    }
    const out = Buffer.allocUnsafe(size);
    let written = 0;
    for (const key of batch) {
      const dump = results[at++] as Buffer | null;
      const ttl = results[at++] as number;
      if (dump === null || ttl === -2) {
        stats.vanished++;
        continue;
      }
      const expireAt = ttl < 0 ? undefined : pexpiretime ? ttl : serverNow + ttl;
      const type = payloadTypeName(dump);
      stats.types[type] = (stats.types[type] ?? 0) + 1;
      if (stats.rdbVersion === null) stats.rdbVersion = checkDumpPayload(dump).rdbVersion;
      stats.records++;
      written += out.write('{"key":"', written, 'latin1');
      written += out.write(key.toString('base64'), written, 'latin1');
      written += out.write(`","type":${jsonTypeName(type)}`, written, 'latin1');
      if (expireAt !== undefined) written += out.write(`,"expireAt":${expireAt}`, written, 'latin1');
      written += out.write(',"dump":"', written, 'latin1');
      written += out.write(dump.toString('base64'), written, 'latin1');
      written += out.write('"}\n', written, 'latin1');
    }
    if (written > 0) yield out.subarray(0, written);
    if (!hasMore) break;
  }
  const trailer: KeysTrailer = {
    end: true,
    records: stats.records,
    vanished: stats.vanished,
    rdbVersion: stats.rdbVersion,
    finishedAt: new Date().toISOString(),
  };
  yield Buffer.from(`${JSON.stringify(trailer)}\n`, 'utf8');
}

/**
 * Bytes of a record besides its two base64 fields: `{"key":"","type":,"expireAt":,"dump":""}\n`
 * (47) plus the quoted type name (JSON of `module:<9-char name>` at most 18) and the expiry's
 * digits (at most 16 for a Unix time in ms), rounded up.
 */
const RECORD_OVERHEAD = 96;

/** Length of the base64 (padded) text of `n` bytes. */
function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

const typeNameJson = new Map<string, string>();
/** `JSON.stringify(type)`, cached (a handful of type names). */
function jsonTypeName(type: string): string {
  let json = typeNameJson.get(type);
  if (json === undefined) {
    json = JSON.stringify(type);
    typeNameJson.set(type, json);
  }
  return json;
}

function parseScan(reply: RespReply | undefined): [Buffer, Buffer[]] {
  if (!Array.isArray(reply) || reply.length !== 2 || !Buffer.isBuffer(reply[0]) || !Array.isArray(reply[1])) {
    throw new BackupError('SOURCE_FAILED', `Unexpected SCAN reply: ${String(reply).slice(0, 80)}`);
  }
  return [reply[0], reply[1] as Buffer[]];
}

/** SCAN cursor `0` ends the iteration. */
function more(cursor: Buffer): boolean {
  return !(cursor.length === 1 && cursor[0] === 0x30);
}

/** Type name of a DUMP payload (its first byte; module values carry their type name). */
function payloadTypeName(dump: Buffer): string {
  const type = dump[0]!;
  if (type === RDB_TYPE_MODULE_2 && dump.length >= 10) {
    // The module id follows as an RDB length: 0x81 + 8 bytes big-endian for 64-bit ids.
    if (dump[1] === 0x81) return `module:${moduleTypeName(dump.readBigUInt64BE(2)).name}`;
    return 'module';
  }
  return rdbTypeName(type);
}
