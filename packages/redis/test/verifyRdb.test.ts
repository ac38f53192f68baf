// verifyRdb with redis-check-rdb alongside, on an RDB of several MiB: it parses each chunk in
// slices with event-loop turns between them (so the checker's stdin is refilled), and must find the
// same keys, and the same damage, as without the checker.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { silentLogger } from '@backup/core';
import { type RedisServer, runProcess, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../src/crc64.js';
import { verifyRdb } from '../src/verifyRdb.js';

const KEYS = 30_000;
const MIB = 1024 * 1024;

let server: RedisServer;
let rdb: Buffer;

beforeAll(async () => {
  server = await startRedis({ config: { 'enable-debug-command': 'yes', rdbcompression: 'no' } });
  await server.cli(['DEBUG', 'POPULATE', String(KEYS), 'key', '100']);
  await server.cli(['SET', 'last', 'value']);
  const file = `${server.dir}/copy.rdb`;
  const result = await runProcess('redis-cli', ['-h', server.host, '-p', String(server.port), '--rdb', file]);
  expect(result.code, result.stderr).toBe(0);
  rdb = await readFile(file);
});

afterAll(async () => {
  await server?.stop();
});

/** The bytes in 1 MiB chunks, as the fs storage reads them. */
const chunked = (bytes: Buffer): Readable =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += MIB) yield bytes.subarray(at, at + MIB);
    })(),
  );

const ctx = () => ({ signal: new AbortController().signal, logger: silentLogger });

describe('verifyRdb', () => {
  it('finds every key of a multi-MiB RDB with and without redis-check-rdb alongside', async () => {
    expect(rdb.length).toBeGreaterThan(3 * MIB);
    const alone = await verifyRdb(chunked(rdb), { name: 'dump.rdb' }, ctx());
    const withChecker = await verifyRdb(
      chunked(rdb),
      { name: 'dump.rdb', redisCheckRdb: 'redis-check-rdb' },
      ctx(),
    );
    expect(alone.keys).toEqual({ db0: KEYS + 1 });
    expect(withChecker).toEqual(alone);
  });

  it('a changed byte past the first MiB fails the CRC64 with redis-check-rdb alongside', async () => {
    const damaged = Buffer.from(rdb);
    // Inside a value ("value:<n>" padded to 100 bytes): the records still parse, the CRC64 does not match.
    const at = damaged.indexOf(Buffer.from('value:'), Math.floor(damaged.length / 2));
    damaged[at + 3] = damaged[at + 3]! ^ 0x20;
    await expect(
      verifyRdb(chunked(damaged), { name: 'dump.rdb', redisCheckRdb: 'redis-check-rdb' }, ctx()),
    ).rejects.toMatchObject({
      code: 'VERIFY_FAILED',
      message: expect.stringMatching(/dump\.rdb.*CRC64|checksum/i),
    });
    // With the CRC64 recomputed, both our walk and redis-check-rdb accept it: the change is data only.
    new Crc64().update(damaged, 0, damaged.length - 8).writeLE(damaged, damaged.length - 8);
    const summary = await verifyRdb(
      chunked(damaged),
      { name: 'dump.rdb', redisCheckRdb: 'redis-check-rdb' },
      ctx(),
    );
    expect(summary.keys).toEqual({ db0: KEYS + 1 });
  });
});
