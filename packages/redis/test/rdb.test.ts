import { type RedisServer, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDumpPayload,
  Crc64,
  checkDumpPayload,
  crc64,
  moduleTypeName,
  openRdbStream,
  parseRedisUrl,
  RdbFormatError,
  type RdbKeyEntry,
  RdbStreamCheck,
  RdbStreamParser,
  readRdbHeader,
} from '../src/index.js';
import { BINARY_KEY, client, seedAllTypes } from './fixtures/data.js';

async function pullRdb(server: RedisServer): Promise<{ bytes: Buffer; transfer: string }> {
  const transfer = await openRdbStream({ endpoint: parseRedisUrl(server.url()) });
  const chunks: Buffer[] = [];
  for await (const chunk of transfer.stream) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), transfer: transfer.transfer };
}

function parseAll(
  bytes: Buffer,
  chunkSize: number,
): { keys: RdbKeyEntry[]; raw: Buffer[]; parser: RdbStreamParser } {
  const parser = new RdbStreamParser();
  const keys: RdbKeyEntry[] = [];
  const raw: Buffer[] = [];
  const take = (entries: ReturnType<RdbStreamParser['push']>) => {
    for (const e of entries) {
      if (e.kind === 'key') keys.push({ ...e, key: Buffer.from(e.key), value: Buffer.from(e.value) });
      if (e.kind === 'function') raw.push(Buffer.from(e.raw));
    }
  };
  for (let at = 0; at < bytes.length; at += chunkSize) take(parser.push(bytes.subarray(at, at + chunkSize)));
  take(parser.end().entries);
  return { keys, raw, parser };
}

describe('CRC-64/Jones', () => {
  it('matches the check value and is incremental', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 131) % 256));
    const whole = crc64(data);
    const parts = new Crc64();
    const cuts = [0, 3, 17, 500, 999, 1000];
    for (let i = 0; i + 1 < cuts.length; i++) parts.update(data, cuts[i], cuts[i + 1]);
    expect(parts.digest()).toBe(whole);
    const le = Buffer.alloc(8);
    parts.writeLE(le, 0);
    expect(le.readBigUInt64LE(0)).toBe(whole);
    expect(parts.equalsLE(le, 0)).toBe(true);
    le[3]! ^= 1;
    expect(parts.equalsLE(le, 0)).toBe(false);
  });
});

describe('module type ids', () => {
  // moduleTypeEncodeId of redis/redis:src/module.c, written independently of moduleTypeName.
  const CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const encode = (name: string, encver: number) => {
    let id = 0n;
    for (const ch of name) id = (id << 6n) | BigInt(CHARSET.indexOf(ch));
    return (id << 10n) | BigInt(encver);
  };
  it('decodes the 9-character name and the encoding version', () => {
    expect(moduleTypeName(encode('graphdata', 17))).toEqual({ name: 'graphdata', encodingVersion: 17 });
    expect(moduleTypeName(encode('ReJSON-RL', 3))).toEqual({ name: 'ReJSON-RL', encodingVersion: 3 });
  });
});

describe.each([
  { sync: 'disk-based', diskless: false, transfer: 'disk' },
  { sync: 'diskless', diskless: true, transfer: 'diskless' },
])('RDB over the replication protocol ($sync sync)', ({ diskless, transfer }) => {
  let server: RedisServer;
  let rdb: Buffer;
  beforeAll(async () => {
    server = await startRedis({ disklessSync: diskless });
    await seedAllTypes(server.url());
    const pulled = await pullRdb(server);
    expect(pulled.transfer).toBe(transfer);
    rdb = pulled.bytes;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('yields a complete RDB: magic, version, AUX fields, CRC64', () => {
    expect(rdb.toString('latin1', 0, 5)).toBe('REDIS');
    const header = readRdbHeader(rdb);
    expect(header.rdbVersion).toBe(10); // Redis 7.0 (protocols.md 2.2)
    expect(header.aux['redis-ver']).toBe(server.version);
    const check = new RdbStreamCheck();
    check.update(rdb);
    expect(check.finish()).toMatchObject({ rdbVersion: 10, bytes: rdb.length, checksum: 'verified' });
  });

  it('splits the RDB into DUMP payloads byte-identical to DUMP on the source, for every type and chunking', async () => {
    const r = await client(server.url());
    try {
      for (const chunkSize of [5, 4096, rdb.length]) {
        const { keys, parser } = parseAll(rdb, chunkSize);
        const total = (await r.dbsize()) + 15 * 2 + 5; // db1..15 hold 2 keys, 5 of them a third
        expect(keys.length).toBe(total);
        const types = new Set<string>();
        for (const entry of keys) {
          await r.select(entry.db);
          const dump = await r.dumpBuffer(entry.key);
          expect(dump, `key ${entry.key.toString('hex')}`).not.toBeNull();
          expect(
            buildDumpPayload(entry.type, entry.value, parser.rdbVersion!).equals(dump!),
            `key ${entry.key}`,
          ).toBe(true);
          types.add(await r.type(entry.key));
          const pexpireAt = await r.pexpiretime(entry.key);
          expect(entry.expireAt ?? -1).toBe(pexpireAt);
        }
        await r.select(0);
        expect([...types].sort()).toEqual(['hash', 'list', 'set', 'stream', 'string', 'zset']);
        expect(keys.some((e) => e.key.equals(BINARY_KEY))).toBe(true);
      }
    } finally {
      r.disconnect();
    }
  });
});

describe('RDB checks', () => {
  let server: RedisServer;
  let rdb: Buffer;
  beforeAll(async () => {
    server = await startRedis();
    const r = await client(server.url());
    await r.set('a', 'b'.repeat(1000));
    await r.hset('h', { x: '1' });
    await r.call(
      'FUNCTION',
      'LOAD',
      "#!lua name=backuplib\nredis.register_function('hello', function() return 'hi' end)",
    );
    rdb = (await pullRdb(server)).bytes;
    r.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('rejects a flipped byte, a truncated file and a wrong magic', () => {
    const flipped = Buffer.from(rdb);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    const check = new RdbStreamCheck();
    check.update(flipped);
    expect(() => check.finish()).toThrow(/checksum mismatch/);

    // The backup path only locates the CRC64 (verify recomputes it).
    const located = new RdbStreamCheck({ verifyCrc: false });
    located.update(flipped);
    expect(located.finish().checksum).toBe('present');

    const short = new RdbStreamCheck();
    short.update(rdb.subarray(0, rdb.length - 3));
    expect(() => short.finish()).toThrow(RdbFormatError);
    expect(() => new RdbStreamParser().push(Buffer.from('NOTRDB0001xxxxxxxxxxxx'))).toThrow(
      /Not an RDB file/,
    );

    const parser = new RdbStreamParser();
    parser.push(rdb.subarray(0, rdb.length - 20));
    expect(() => parser.end()).toThrow(RdbFormatError);
  });

  it('rejects a structurally broken RDB even when its CRC64 was recomputed', () => {
    const broken = Buffer.from(rdb);
    const record = broken.indexOf(Buffer.from([16, 1, 0x68])); // RDB_TYPE_HASH_LISTPACK, key "h"
    expect(record).toBeGreaterThan(9);
    broken[record] = 8; // not a value type (rdb.h has no type 8)
    new Crc64().update(broken, 0, broken.length - 8).writeLE(broken, broken.length - 8);
    const parser = new RdbStreamParser();
    expect(() => {
      parser.push(broken);
      parser.end();
    }).toThrow(/Unknown RDB opcode or value type 8 \(at byte \d+\)/);
  });

  it('accepts a zero checksum (rdbchecksum no) and reports it', async () => {
    const noChecksum = await startRedis({ config: { rdbchecksum: 'no' } });
    try {
      const r = await client(noChecksum.url());
      await r.set('k', 'v');
      r.disconnect();
      const bytes = (await pullRdb(noChecksum)).bytes;
      expect(bytes.readBigUInt64LE(bytes.length - 8)).toBe(0n);
      const parser = new RdbStreamParser();
      parser.push(bytes);
      expect(parser.end().summary.checksum).toBe('disabled');
    } finally {
      await noChecksum.stop();
    }
  });

  it('rebuilds FUNCTION DUMP from the FUNCTION2 records', async () => {
    const { raw, parser } = parseAll(rdb, 100);
    expect(raw).toHaveLength(1);
    const r = await client(server.url());
    const dump = (await r.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    r.disconnect();
    const body = Buffer.concat(raw);
    const mine = Buffer.alloc(body.length + 10);
    body.copy(mine);
    mine.writeUInt16LE(parser.rdbVersion!, body.length);
    new Crc64().update(mine, 0, body.length + 2).writeLE(mine, body.length + 2);
    expect(mine.equals(dump)).toBe(true);
  });

  it('checks DUMP payload footers', async () => {
    const r = await client(server.url());
    const dump = (await r.dumpBuffer('a'))!;
    r.disconnect();
    expect(checkDumpPayload(dump)).toEqual({ type: 0, rdbVersion: 10 });
    const bad = Buffer.from(dump);
    bad[5]! ^= 0x40;
    expect(() => checkDumpPayload(bad)).toThrow(/CRC64/);
    expect(() => checkDumpPayload(Buffer.alloc(4))).toThrow(/shorter/);
  });
});
