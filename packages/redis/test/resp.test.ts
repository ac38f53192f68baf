import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup } from '@backup/core';
import { type RedisServer, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine, parseRedisUrl, RespConnection, RespError } from '../src/index.js';
import { BINARY_KEY, client } from './fixtures/data.js';

let server: RedisServer;
let target: RedisServer;
beforeAll(async () => {
  server = await startRedis({ password: 'sekret' });
  target = await startRedis();
});
afterAll(async () => {
  await Promise.all([server?.stop(), target?.stop()]);
});

describe('RespConnection (the keys-mode export connection)', () => {
  it('returns every RESP2 reply type in order, errors in place, and large bulks byte for byte', async () => {
    const big = randomBytes(5 * 1024 * 1024 + 7); // many socket chunks: the incomplete-bulk path
    const r = await client(server.url());
    await r.set('big', big);
    await r.rpush('list', 'a', 'b');
    r.disconnect();
    const connection = await RespConnection.open(parseRedisUrl(server.url()));
    try {
      const replies = await connection.call([
        ['PING'],
        ['GET', 'big'],
        ['GET', 'missing'],
        ['STRLEN', 'big'],
        ['LRANGE', 'list', 0, -1],
        ['INCRBY', 'counter', -5],
        ['NOSUCHCOMMAND'],
        ['SCAN', '0', 'MATCH', 'li*', 'COUNT', 100],
      ]);
      expect(replies[0]).toBe('PONG');
      expect(Buffer.isBuffer(replies[1]) && (replies[1] as Buffer).equals(big)).toBe(true);
      expect(replies[2]).toBeNull();
      expect(replies[3]).toBe(big.length);
      expect((replies[4] as Buffer[]).map(String)).toEqual(['a', 'b']);
      expect(replies[5]).toBe(-5);
      expect(replies[6]).toBeInstanceOf(RespError);
      expect((replies[6] as RespError).message).toMatch(/^ERR unknown command/);
      const [cursor, keys] = replies[7] as [Buffer, Buffer[]];
      expect(String(cursor)).toBe('0');
      expect(keys.map(String)).toEqual(['list']);
      // Many round trips pipelined at once resolve in order.
      const many = await Promise.all(
        Array.from({ length: 50 }, (_, i) => connection.call([['ECHO', `m${i}`]])),
      );
      expect(many.map((x) => String(x[0]))).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    } finally {
      connection.close();
    }
    await expect(connection.call([['PING']])).rejects.toThrow(/closed/);
  });

  it('a wrong password is SOURCE_FAILED naming the credentials', async () => {
    const url = server.url({ password: 'wrong' });
    const error = await RespConnection.open(parseRedisUrl(url)).catch((e: unknown) => e);
    expect(isBackupError(error) && error.code).toBe('SOURCE_FAILED');
    expect((error as Error).message).toMatch(/WRONGPASS.*check the user and password/);
    expect((error as Error).message).not.toContain('wrong');
  });

  it('a keys-mode backup carries a 5 MiB value and a binary key through backup and restore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-resp-'));
    try {
      const big = randomBytes(5 * 1024 * 1024);
      const r = await client(server.url(), { db: 3 });
      await r.set(BINARY_KEY, big);
      for (let i = 0; i < 700; i++) await r.set(`small:${i}`, String(i), 'PX', 3_600_000);
      r.disconnect();
      const storage = new FsStorage({ path: dir });
      const engine = createRedisEngine({ url: server.url(), mode: 'keys', databases: [3], scanCount: 50 });
      const manifest = await runBackup({ job: 'resp', engine, storage, compression: { algorithm: 'zstd' } });
      expect(manifest.units[0]?.metadata['records']).toBe(701);
      await restoreBackup({
        catalog: new Catalog(storage),
        manifest,
        engine,
        options: { targetUrl: target.url() },
      });
      const t = await client(target.url(), { db: 3 });
      expect((await t.getBuffer(BINARY_KEY))?.equals(big)).toBe(true);
      expect(await t.dbsize()).toBe(701);
      const pttl = await t.pttl('small:1');
      expect(pttl).toBeGreaterThan(3_500_000);
      expect(pttl).toBeLessThanOrEqual(3_600_000);
      t.disconnect();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
