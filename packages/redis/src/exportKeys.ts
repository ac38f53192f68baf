import { BackupError } from '@backup/core';
import type { Redis } from 'ioredis';
import { checkDumpPayload } from './dumpPayload.js';
import {
  type KeysHeader,
  type KeysTrailer,
  REDIS_KEYS_FORMAT,
  REDIS_KEYS_FORMAT_VERSION,
} from './keysFormat.js';
import { moduleTypeName } from './moduleTypeName.js';
import { RDB_TYPE_MODULE_2, rdbTypeName } from './rdbTypes.js';
import { redisFailure } from './redisFailure.js';

/** Options of {@link exportKeys}. */
export interface ExportKeysOptions {
  /** A client connected to the server, with `db` selected. */
  client: Redis;
  db: number;
  /** `host:port` for the header and messages. */
  source: string;
  serverVersion: string;
  /** SCAN MATCH pattern; default all keys. */
  match?: string | undefined;
  /** SCAN COUNT hint per round trip; default 1000. */
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
  const { client, signal } = options;
  const count = options.scanCount ?? 1000;
  const scanArgs = (cursor: string): Array<string | number> =>
    options.match === undefined ? [cursor, 'COUNT', count] : [cursor, 'MATCH', options.match, 'COUNT', count];
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
  // server works while we encode.
  const send = (keys: Buffer[], cursor: string): Promise<Array<[Error | null, unknown]>> => {
    const pipeline = client.pipeline();
    if (keys.length > 0 && options.ttlCommand === 'pttl') pipeline.time();
    for (const key of keys) {
      pipeline.dumpBuffer(key);
      if (options.ttlCommand === 'pexpiretime') pipeline.pexpiretime(key);
      else pipeline.pttl(key);
    }
    if (cursor !== '0') pipeline.callBuffer('SCAN', ...scanArgs(cursor));
    const sent = pipeline.exec().then((results) => (results ?? []) as Array<[Error | null, unknown]>);
    sent.catch(() => {}); // awaited below; never an unhandled rejection while we format
    return sent;
  };

  let keys: Buffer[];
  let cursor: string;
  try {
    [cursor, keys] = parseScan(await client.callBuffer('SCAN', ...scanArgs('0')));
  } catch (error) {
    throw redisFailure(error, 'SOURCE_FAILED', what);
  }
  let inFlight = send(keys, cursor);
  for (;;) {
    if (signal?.aborted) throw new BackupError('ABORTED', `${what}: aborted`);
    let results: Array<[Error | null, unknown]>;
    try {
      results = await inFlight;
    } catch (error) {
      throw redisFailure(error, 'SOURCE_FAILED', what);
    }
    const failed = results.find(([error]) => error !== null);
    if (failed) throw redisFailure(failed[0], 'SOURCE_FAILED', what);
    const batch = keys;
    const more = cursor !== '0';
    if (more) {
      [cursor, keys] = parseScan(results[results.length - 1]![1]);
      inFlight = send(keys, cursor);
    }
    let at = 0;
    let serverNow = 0;
    if (batch.length > 0 && options.ttlCommand === 'pttl') {
      const [seconds, micros] = results[at++]![1] as [string, string];
      serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    }
    let text = '';
    for (const key of batch) {
      const dump = results[at++]![1] as Buffer | null;
      const ttl = Number(results[at++]![1]);
      if (dump === null || ttl === -2) {
        stats.vanished++;
        continue;
      }
      const expireAt = ttl < 0 ? undefined : options.ttlCommand === 'pexpiretime' ? ttl : serverNow + ttl;
      const type = payloadTypeName(dump);
      stats.types[type] = (stats.types[type] ?? 0) + 1;
      if (stats.rdbVersion === null) stats.rdbVersion = checkDumpPayload(dump).rdbVersion;
      stats.records++;
      text +=
        expireAt === undefined
          ? `{"key":"${key.toString('base64')}","type":${JSON.stringify(type)},"dump":"${dump.toString('base64')}"}\n`
          : `{"key":"${key.toString('base64')}","type":${JSON.stringify(type)},"expireAt":${expireAt},"dump":"${dump.toString('base64')}"}\n`;
    }
    // Records are ASCII (base64, numbers, type names from a 64-character set): latin1 is exact.
    if (text !== '') yield Buffer.from(text, 'latin1');
    if (!more) break;
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

function parseScan(reply: unknown): [string, Buffer[]] {
  const [cursor, keys] = reply as [Buffer, Buffer[]];
  return [cursor.toString('latin1'), keys];
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
