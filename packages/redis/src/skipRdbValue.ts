import type { RdbBufferReader } from './RdbBufferReader.js';
import {
  RDB_MODULE_OPCODE_DOUBLE,
  RDB_MODULE_OPCODE_EOF,
  RDB_MODULE_OPCODE_FLOAT,
  RDB_MODULE_OPCODE_SINT,
  RDB_MODULE_OPCODE_STRING,
  RDB_MODULE_OPCODE_UINT,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_LISTPACK_EX,
  RDB_TYPE_HASH_LISTPACK_EX_PRE_GA,
  RDB_TYPE_HASH_METADATA,
  RDB_TYPE_HASH_METADATA_PRE_GA,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_MODULE_PRE_GA,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
} from './rdbTypes.js';

/**
 * Skips the serialized value of one key of RDB type `type`, leaving `reader.pos` after it, so the
 * caller can copy the raw value bytes (a DUMP payload body) without decoding them. Follows
 * `rdbLoadObject` in `redis/redis:src/rdb.c` (protocols.md 2.2):
 *
 * - strings and the single-blob encodings (zipmap, ziplist, intset, listpack, listpack-ex with its
 *   8-byte minimum expiry first): one string;
 * - LIST/SET: count + strings; ZSET: count + (string, 1-byte-length ASCII double); ZSET_2: count +
 *   (string, 8-byte double); HASH: count + field/value strings; hash metadata: [8-byte min expiry]
 *   count + (TTL length, field, value);
 * - QUICKLIST: count + ziplists; QUICKLIST_2: count + (container length, blob);
 * - streams (15, 19, 21): listpacks with their master ids, length, last id, [first id, max deleted
 *   id, entries added], consumer groups with their PELs (16-byte raw ids, 8-byte delivery time,
 *   count) and consumers (name, seen time, [active time], PEL ids);
 * - MODULE_2: 64-bit module id, then typed opcodes until EOF (`rdbLoadCheckModuleValue`). Returns
 *   the module id for module values.
 *
 * @throws NEED_MORE when the buffer ends first; RdbFormatError for unknown types (including
 *   `RDB_TYPE_MODULE_PRE_GA`, which Redis rejects too) and malformed data.
 */
export function skipRdbValue(reader: RdbBufferReader, type: number): bigint | undefined {
  switch (type) {
    case RDB_TYPE_STRING:
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_ZSET_LISTPACK:
    case RDB_TYPE_SET_LISTPACK:
    case RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
      reader.skipString();
      return undefined;
    case RDB_TYPE_HASH_LISTPACK_EX:
      reader.skip(8);
      reader.skipString();
      return undefined;
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
    case RDB_TYPE_LIST_QUICKLIST: {
      for (let n = reader.readLength(); n > 0; n--) reader.skipString();
      return undefined;
    }
    case RDB_TYPE_LIST_QUICKLIST_2: {
      for (let n = reader.readLength(); n > 0; n--) {
        const container = reader.readLength();
        if (container !== 1 && container !== 2) reader.fail(`Invalid quicklist container ${container}`);
        reader.skipString();
      }
      return undefined;
    }
    case RDB_TYPE_ZSET: {
      for (let n = reader.readLength(); n > 0; n--) {
        reader.skipString();
        const len = reader.u8();
        if (len < 253) reader.skip(len);
      }
      return undefined;
    }
    case RDB_TYPE_ZSET_2: {
      for (let n = reader.readLength(); n > 0; n--) {
        reader.skipString();
        reader.skip(8);
      }
      return undefined;
    }
    case RDB_TYPE_HASH: {
      for (let n = reader.readLength(); n > 0; n--) {
        reader.skipString();
        reader.skipString();
      }
      return undefined;
    }
    case RDB_TYPE_HASH_METADATA:
    case RDB_TYPE_HASH_METADATA_PRE_GA: {
      if (type === RDB_TYPE_HASH_METADATA) reader.skip(8);
      for (let n = reader.readLength(); n > 0; n--) {
        reader.skipLength();
        reader.skipString();
        reader.skipString();
      }
      return undefined;
    }
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
      skipStream(reader, type);
      return undefined;
    case RDB_TYPE_MODULE_2: {
      const id = reader.readLengthBig();
      skipModuleOpcodes(reader);
      return id;
    }
    case RDB_TYPE_MODULE_PRE_GA:
      return reader.fail('Pre-release module value format (RDB type 6) is not supported, as in Redis');
    default:
      return reader.fail(`Unknown RDB value type ${type}`);
  }
}

function skipStream(reader: RdbBufferReader, type: number): void {
  for (let n = reader.readLength(); n > 0; n--) {
    reader.skipString(); // master id (16 bytes)
    reader.skipString(); // listpack
  }
  reader.skipLength(); // length
  reader.skipLength(); // last id ms
  reader.skipLength(); // last id seq
  if (type >= RDB_TYPE_STREAM_LISTPACKS_2) {
    for (let i = 0; i < 5; i++) reader.skipLength(); // first id, max deleted id, entries added
  }
  for (let groups = reader.readLength(); groups > 0; groups--) {
    reader.skipString(); // name
    reader.skipLength(); // last id ms
    reader.skipLength(); // last id seq
    if (type >= RDB_TYPE_STREAM_LISTPACKS_2) reader.skipLength(); // entries read
    for (let pel = reader.readLength(); pel > 0; pel--) {
      reader.skip(16 + 8); // raw id, delivery time
      reader.skipLength(); // delivery count
    }
    for (let consumers = reader.readLength(); consumers > 0; consumers--) {
      reader.skipString(); // name
      reader.skip(type >= RDB_TYPE_STREAM_LISTPACKS_3 ? 16 : 8); // seen time [, active time]
      for (let pel = reader.readLength(); pel > 0; pel--) reader.skip(16);
    }
  }
}

/** Skips module opcodes up to and including `RDB_MODULE_OPCODE_EOF` (`rdbLoadCheckModuleValue`). */
export function skipModuleOpcodes(reader: RdbBufferReader): void {
  for (;;) {
    const opcode = reader.readLength();
    switch (opcode) {
      case RDB_MODULE_OPCODE_EOF:
        return;
      case RDB_MODULE_OPCODE_SINT:
      case RDB_MODULE_OPCODE_UINT:
        reader.skipLength();
        break;
      case RDB_MODULE_OPCODE_FLOAT:
        reader.skip(4);
        break;
      case RDB_MODULE_OPCODE_DOUBLE:
        reader.skip(8);
        break;
      case RDB_MODULE_OPCODE_STRING:
        reader.skipString();
        break;
      default:
        reader.fail(`Unknown module value opcode ${opcode}`);
    }
  }
}
