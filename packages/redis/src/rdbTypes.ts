/**
 * RDB value types and opcodes, as defined in `redis/redis:src/rdb.h` (Redis 7.0 to 8.x; 22-25 are
 * the hash-field-expiration types of 7.4+). See protocols.md 2.2.
 */

/** String value: one RDB string (raw, integer-encoded or LZF). */
export const RDB_TYPE_STRING = 0;
/** List (pre-3.2 layout): count + strings. */
export const RDB_TYPE_LIST = 1;
/** Set as a hash table: count + strings. */
export const RDB_TYPE_SET = 2;
/** Sorted set with ASCII scores: count + (member, 1-byte-length score). */
export const RDB_TYPE_ZSET = 3;
/** Hash as a hash table: count + field/value strings. */
export const RDB_TYPE_HASH = 4;
/** Sorted set with binary (8-byte) scores. */
export const RDB_TYPE_ZSET_2 = 5;
/** Module value of Redis 4.0 release candidates: not supported by Redis itself anymore. */
export const RDB_TYPE_MODULE_PRE_GA = 6;
/** Module value: 64-bit module type id, then typed opcodes up to `RDB_MODULE_OPCODE_EOF`. */
export const RDB_TYPE_MODULE_2 = 7;
/** Hash as a zipmap blob (Redis 2.x). */
export const RDB_TYPE_HASH_ZIPMAP = 9;
/** List as one ziplist blob (pre-3.2). */
export const RDB_TYPE_LIST_ZIPLIST = 10;
/** Set of integers as one intset blob. */
export const RDB_TYPE_SET_INTSET = 11;
/** Sorted set as one ziplist blob (pre-7.0). */
export const RDB_TYPE_ZSET_ZIPLIST = 12;
/** Hash as one ziplist blob (pre-7.0). */
export const RDB_TYPE_HASH_ZIPLIST = 13;
/** List as a quicklist of ziplists (3.2-6.2): count + blobs. */
export const RDB_TYPE_LIST_QUICKLIST = 14;
/** Stream (5.0-6.2 layout): listpacks, metadata, consumer groups. */
export const RDB_TYPE_STREAM_LISTPACKS = 15;
/** Hash as one listpack blob (7.0+). */
export const RDB_TYPE_HASH_LISTPACK = 16;
/** Sorted set as one listpack blob (7.0+). */
export const RDB_TYPE_ZSET_LISTPACK = 17;
/** List as a quicklist of listpacks (7.0+): count + (container, blob). */
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
/** Stream with first id, max deleted id, entries added and group offsets (7.0). */
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
/** Set as one listpack blob (7.2+). */
export const RDB_TYPE_SET_LISTPACK = 20;
/** Stream with consumer active times (7.2+). */
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;
/** Hash with field expirations, absolute TTLs (7.4 release candidates). */
export const RDB_TYPE_HASH_METADATA_PRE_GA = 22;
/** Listpack hash with field expirations (7.4 release candidates). */
export const RDB_TYPE_HASH_LISTPACK_EX_PRE_GA = 23;
/** Hash with field expirations (7.4+): minimum expiry, count + (TTL, field, value). */
export const RDB_TYPE_HASH_METADATA = 24;
/** Listpack hash with field expirations (7.4+): minimum expiry + blob. */
export const RDB_TYPE_HASH_LISTPACK_EX = 25;

/** Cluster slot size hint (8.0+): slot id, keys, expires. */
export const RDB_OPCODE_SLOT_INFO = 244;
/** A function library: one string (its code). */
export const RDB_OPCODE_FUNCTION2 = 245;
/** Function libraries of 7.0 release candidates: unsupported (as in Redis). */
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
/** Module auxiliary data: module id, "when", typed opcodes until EOF. */
export const RDB_OPCODE_MODULE_AUX = 247;
/** LRU idle seconds of the next key (a length). */
export const RDB_OPCODE_IDLE = 248;
/** LFU frequency of the next key (1 byte). */
export const RDB_OPCODE_FREQ = 249;
/** AUX field: two strings (name, value). */
export const RDB_OPCODE_AUX = 250;
/** Hash table size hint: keys and expires of the current database. */
export const RDB_OPCODE_RESIZEDB = 251;
/** Absolute expiry of the next key: 8-byte little-endian Unix ms. */
export const RDB_OPCODE_EXPIRETIME_MS = 252;
/** Absolute expiry of the next key: 4-byte little-endian Unix seconds (old files). */
export const RDB_OPCODE_EXPIRETIME = 253;
/** Database number of the following keys (a length). */
export const RDB_OPCODE_SELECTDB = 254;
/** End of the file; the 8-byte CRC64 follows. */
export const RDB_OPCODE_EOF = 255;

/** Sub-opcodes of module values (`RDB_MODULE_OPCODE_*`). */
export const RDB_MODULE_OPCODE_EOF = 0;
/** Module signed integer (a length). */
export const RDB_MODULE_OPCODE_SINT = 1;
/** Module unsigned integer (a length). */
export const RDB_MODULE_OPCODE_UINT = 2;
/** Module float (4 bytes). */
export const RDB_MODULE_OPCODE_FLOAT = 3;
/** Module double (8 bytes). */
export const RDB_MODULE_OPCODE_DOUBLE = 4;
/** Module string (an RDB string). */
export const RDB_MODULE_OPCODE_STRING = 5;

/** True for a byte that starts a key/value record (`rdbIsObjectType` in rdb.h). */
export function isRdbObjectType(type: number): boolean {
  return (type >= 0 && type <= 7) || (type >= 9 && type <= 25);
}

/**
 * The Redis data type (as `TYPE` names it) of an RDB value type: `string`, `list`, `set`, `zset`,
 * `hash`, `stream` or `module`; `unknown` for bytes that are no object type.
 */
export function rdbTypeName(type: number): string {
  switch (type) {
    case RDB_TYPE_STRING:
      return 'string';
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
      return 'list';
    case RDB_TYPE_SET:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_SET_LISTPACK:
      return 'set';
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK:
      return 'zset';
    case RDB_TYPE_HASH:
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_HASH_METADATA_PRE_GA:
    case RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
    case RDB_TYPE_HASH_METADATA:
    case RDB_TYPE_HASH_LISTPACK_EX:
      return 'hash';
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
      return 'stream';
    case RDB_TYPE_MODULE_PRE_GA:
    case RDB_TYPE_MODULE_2:
      return 'module';
    default:
      return 'unknown';
  }
}
