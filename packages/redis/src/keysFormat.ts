/**
 * The keys-mode artifact (`<unit>.keys.ndjson`, media type `application/x-ndjson`, documented in
 * docs/format.md): UTF-8 NDJSON, one JSON object per `\n`-terminated line.
 *
 * 1. One {@link KeysHeader} line.
 * 2. One {@link KeysRecord} line per key, in SCAN order.
 * 3. One {@link KeysTrailer} line: its presence and counts prove the export completed.
 *
 * Key names and values are base64 (standard alphabet, padded): keys are binary-safe, and the value
 * is the exact `DUMP` payload (`<type><value><RDB version LE16><CRC64 LE>`, protocols.md 2.3), so
 * every data type, module types (FalkorDB graphs) included, round-trips unchanged through
 * `RESTORE key <expireAt> <payload> ABSTTL`.
 */

/** Value of {@link KeysHeader.format}. */
export const REDIS_KEYS_FORMAT = 'redis-keys';

/** Value of {@link KeysHeader.version}; readers reject other versions. */
export const REDIS_KEYS_FORMAT_VERSION = 1;

/** First line. */
export interface KeysHeader {
  format: typeof REDIS_KEYS_FORMAT;
  version: typeof REDIS_KEYS_FORMAT_VERSION;
  /** Database the keys were read from (SELECT). */
  db: number;
  /** `host:port` of the server (never credentials). */
  source: string;
  /** `redis_version` of the source. */
  serverVersion: string;
  /** SCAN MATCH pattern, or null for all keys. */
  match: string | null;
  /** ISO time the scan started. */
  startedAt: string;
}

/** One key. */
export interface KeysRecord {
  /** Key name, base64. */
  key: string;
  /** Data type (`string`, `list`, `set`, `zset`, `hash`, `stream`, `module:<name>`), informative. */
  type: string;
  /** Absolute expiry in Unix milliseconds (server clock, `PEXPIRETIME`); absent: no expiry. */
  expireAt?: number;
  /** `DUMP` payload, base64. */
  dump: string;
}

/** Last line. */
export interface KeysTrailer {
  end: true;
  /** Number of {@link KeysRecord} lines. */
  records: number;
  /** Keys SCAN returned that were gone (deleted or expired) by the time they were dumped. */
  vanished: number;
  /** RDB version of the payloads (from their footers), or null without records. */
  rdbVersion: number | null;
  /** ISO time the export finished. */
  finishedAt: string;
}
