/**
 * Media type of RDB artifacts (`dump.rdb`, `master-<host>-<port>.rdb`): a complete RDB file as
 * the server's replication link sends it (protocols.md 2.1, 2.2), byte for byte what `redis-cli
 * --rdb` writes. Loadable by placing it as `dump.rdb` in the server's `dir` (docs/redis.md).
 */
export const REDIS_RDB_MEDIA_TYPE = 'application/vnd.redis.rdb';

/**
 * Media type of keys-mode artifacts (`<unit>.keys.ndjson`): NDJSON of base64 DUMP payloads with
 * absolute expiries (docs/format.md, `keysFormat.ts`).
 */
export const REDIS_KEYS_MEDIA_TYPE = 'application/x-ndjson';
