import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  Catalog,
  FsStorage,
  isBackupError,
  restoreBackup,
  runBackup,
  silentLogger,
  verifyBackup,
} from '@backup/core';
import { type RedisServer, startRedis } from '@backup/test-services';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createRedisEngine,
  type ExportKeysStats,
  exportKeys,
  KeysArtifactParser,
  parseRedisUrl,
  REDIS_KEYS_MEDIA_TYPE,
  RespConnection,
} from '../src/index.js';
import { RestoreTarget } from '../src/RestoreTarget.js';
import { restoreKeys } from '../src/restoreKeys.js';
import { client, digestServer, seedAllTypes } from './fixtures/data.js';

const ctx = () => ({ signal: new AbortController().signal, logger: silentLogger });

let dir: string;
let storage: FsStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redis-roundtrip-'));
  storage = new FsStorage({ path: dir });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function seededCounts(server: RedisServer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let db = 0; db < 16; db++) {
    const r = await client(server.url(), { db });
    counts[`db${db}`] = await r.dbsize();
    r.disconnect();
  }
  return counts;
}

describe('round trips on one source', () => {
  let source: RedisServer;
  let target: RedisServer;
  beforeAll(async () => {
    source = await startRedis({
      disklessSync: true,
      users: [
        // What each mode needs, nothing more (docs/redis.md).
        { name: 'rdb-backup', password: 'rdb-pw', rules: '-@all +info +ping +sync +replconf' },
        {
          name: 'keys-backup',
          password: 'keys-pw',
          rules: '~* -@all +info +ping +select +scan +dump +pexpiretime',
        },
      ],
    });
    target = await startRedis({
      users: [
        {
          name: 'restorer',
          password: 'restore-pw',
          rules: '~* -@all +info +ping +select +restore +function|restore',
        },
      ],
    });
    await seedAllTypes(source.url());
    const r = await client(source.url());
    await r.call(
      'FUNCTION',
      'LOAD',
      "#!lua name=backuplib\nredis.register_function('hello', function() return 'hi' end)",
    );
    r.disconnect();
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    const t = await client(target.url());
    await t.flushall();
    await t.call('FUNCTION', 'FLUSH');
    t.disconnect();
  });

  it.each(['rdb', 'keys'] as const)(
    '%s mode: ACL users with only the documented permissions back up and restore; TTLs within a second',
    async (mode) => {
      const user =
        mode === 'rdb'
          ? { user: 'rdb-backup', password: 'rdb-pw' }
          : { user: 'keys-backup', password: 'keys-pw' };
      const engine = createRedisEngine({ url: source.url(user), mode });
      const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
      expect(manifest.engine).toMatchObject({
        name: 'redis',
        version: source.version,
        metadata: {
          mode,
          rdbVersion: 10,
          user: user.user,
          keyspace: { db0: expect.any(Object), db15: expect.any(Object) },
        },
      });
      expect((manifest.engine.metadata['usedMemory'] as number) > 0).toBe(true);
      if (mode === 'rdb') {
        expect(manifest.units).toHaveLength(1);
        expect(manifest.units[0]).toMatchObject({
          name: 'instance',
          kind: 'instance',
          metadata: {
            rdbVersion: 10,
            checksum: 'present',
            crc64: expect.stringMatching(/^[0-9a-f]{16}$/),
            transfer: 'diskless',
          },
        });
        expect(manifest.artifacts.map((a) => a.name)).toEqual(['dump.rdb.zst']);
      } else {
        expect(manifest.units.map((u) => u.name)).toEqual(Array.from({ length: 16 }, (_, i) => `db${i}`));
        expect(manifest.artifacts.every((a) => a.mediaType === REDIS_KEYS_MEDIA_TYPE)).toBe(true);
        expect(manifest.units[0]!.metadata).toMatchObject({ db: 0, rdbVersion: 10, vanished: 0 });
      }
      const catalog = new Catalog(storage);
      expect((await verifyBackup({ catalog, manifest, engine })).ok).toBe(true);
      const restored = await restoreBackup({
        catalog,
        manifest,
        engine,
        options: { targetUrl: target.url({ user: 'restorer', password: 'restore-pw' }) },
      });
      const total = restored.reduce((n, r) => n + Number(r.metadata['restoredKeys']), 0);
      expect(total).toBe(Object.values(await seededCounts(source)).reduce((a, b) => a + b, 0));
      expect(await digestServer(target.url())).toEqual(await digestServer(source.url()));
      const s = await client(source.url());
      const t = await client(target.url());
      // RDB sets carry the function libraries (FUNCTION2 records); keys mode carries keys only.
      expect(JSON.stringify(await t.call('FUNCTION', 'LIST'))).toContain(mode === 'rdb' ? 'backuplib' : '[]');
      for (const key of ['ttl:str', 'ttl:list', 'ttl:hash', 'ttl:soon']) {
        const [a, b] = [await s.pttl(key), await t.pttl(key)];
        expect(a).toBeGreaterThan(0);
        expect(Math.abs(a - b)).toBeLessThan(1000);
      }
      s.disconnect();
      t.disconnect();
    },
  );

  it('keys mode: selective backups with match and databases; RDB restores filtered by databases', async () => {
    const engine = createRedisEngine({
      url: source.url(),
      mode: 'keys',
      match: 'ttl:*',
      databases: [0, 3, 5],
    });
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'gzip' } });
    expect(manifest.units.map((u) => u.name)).toEqual(['db0', 'db3', 'db5']);
    const catalog = new Catalog(storage);
    await restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url() } });
    const digest = await digestServer(target.url());
    expect(Object.keys(digest)).toEqual(['db0', 'db3']); // db5 has no ttl:* key
    const keys = Object.keys(digest['db0']!).map((hex) => Buffer.from(hex, 'hex').toString());
    expect(keys.sort()).toEqual(['ttl:hash', 'ttl:list', 'ttl:soon', 'ttl:str']);
    expect(Object.keys(digest['db3']!).map((hex) => Buffer.from(hex, 'hex').toString())).toEqual(['ttl:db3']);

    const rdbEngine = createRedisEngine({ url: source.url() });
    const rdbSet = await runBackup({
      job: 'redis-rdb',
      engine: rdbEngine,
      storage,
      compression: { algorithm: 'zstd' },
    });
    const [result] = await restoreBackup({
      catalog,
      manifest: rdbSet,
      engine: rdbEngine,
      options: { targetUrl: target.url(), databases: [7, 8], replace: true },
    });
    expect(result!.metadata).toMatchObject({ restoredKeys: 4, keys: { db7: 2, db8: 2 } });
    expect(result!.metadata['skippedKeys']).toBeGreaterThan(40);
    const full = await digestServer(source.url());
    expect((await digestServer(target.url()))['db7']).toEqual(full['db7']);
  });

  it("discover reuses describe's INFO within one run (one connection less before SYNC), reads it again in a new run", async () => {
    const r = await client(source.url());
    const connections = async () =>
      Number(/total_connections_received:(\d+)/.exec(await r.info('stats'))?.[1] ?? Number.NaN);
    for (const mode of ['rdb', 'keys'] as const) {
      const engine = createRedisEngine({ url: source.url(), mode });
      const run = ctx();
      const before = await connections();
      await engine.describe(run);
      const units = await engine.discover(run);
      expect(await connections()).toBe(before + 1);
      // A context describe never saw (another run, or discover alone) connects and reads INFO.
      expect(await engine.discover(ctx())).toEqual(units);
      expect(await connections()).toBe(before + 2);
      if (mode === 'rdb') expect(units.map((u) => u.name)).toEqual(['instance']);
      else expect(units.map((u) => u.name)).toEqual(Array.from({ length: 16 }, (_, i) => `db${i}`));
      expect(units[0]!.metadata).toMatchObject({ serverVersion: source.version, server: expect.any(String) });
    }
    r.disconnect();
  });

  it('RDB restore into a server that gained keys refuses with TARGET_NOT_EMPTY, naming the databases', async () => {
    const engine = createRedisEngine({ url: source.url() });
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
    const t = await client(target.url(), { db: 9 });
    await t.set('someone-else', 'x');
    t.disconnect();
    const error = await restoreBackup({
      catalog: new Catalog(storage),
      manifest,
      engine,
      options: { targetUrl: target.url() },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'TARGET_NOT_EMPTY')).toBe(true);
    expect((error as Error).message).toMatch(/db9 \(1 keys\).*replace: true/);
    expect(await digestServer(target.url())).toEqual({ db9: expect.any(Object) });
  });

  it('toFile writes the verified RDB; a server started on it (file placement) has the same data', async () => {
    const engine = createRedisEngine({ url: source.url() });
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
    const placement = join(dir, 'placement');
    await mkdir(placement);
    const [result] = await restoreBackup({
      catalog: new Catalog(storage),
      manifest,
      engine,
      options: { toFile: placement },
    });
    expect(result).toMatchObject({
      unit: 'instance',
      target: join(placement, 'dump.rdb'),
      metadata: { mode: 'file', rdbVersion: 10, checksum: 'verified' },
    });
    expect((await stat(join(placement, 'dump.rdb'))).size).toBe(manifest.artifacts[0]!.plaintextBytes);
    await expect(
      restoreBackup({ catalog: new Catalog(storage), manifest, engine, options: { toFile: placement } }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'TARGET_NOT_EMPTY'));
    await restoreBackup({
      catalog: new Catalog(storage),
      manifest,
      engine,
      options: { toFile: placement, replace: true },
    });

    // Stop / place / start: a fresh server whose dir holds the file loads it at startup.
    const placed = await startRedis({ config: { dir: placement, dbfilename: 'dump.rdb' } });
    try {
      expect(await digestServer(placed.url())).toEqual(await digestServer(source.url()));
      const r = await client(placed.url());
      expect(JSON.stringify(await r.call('FUNCTION', 'LIST'))).toContain('backuplib');
      r.disconnect();
    } finally {
      await placed.stop();
    }
  });

  it('keys export tolerates keys that vanish during the scan; a key listed twice restores once', async () => {
    const r = await client(source.url(), { db: 12 });
    const p = r.pipeline();
    for (let i = 0; i < 300; i++) p.set(`vanish:${i}`, String(i));
    await p.exec();
    const stats: ExportKeysStats = { records: 0, vanished: 0, rdbVersion: null, types: {} };
    const lines: string[] = [];
    const toText = (chunk: Buffer) => chunk.toString('utf8');
    let deleted = 0;
    // Pipelined: the first yield after the header holds batch 1; SCAN's next batch is already
    // known, its DUMPs run in the next round trip. Delete everything now: they must vanish.
    const connection = await RespConnection.open(parseRedisUrl(source.url()), { db: 12 });
    for await (const text of exportKeys(
      {
        connection,
        db: 12,
        source: 'test',
        serverVersion: source.version,
        scanCount: 20,
        ttlCommand: 'pexpiretime',
      },
      stats,
    )) {
      lines.push(toText(text));
      if (lines.length === 2) deleted = Number(await r.del(...(await r.keys('vanish:*'))));
    }
    connection.close();
    expect(deleted).toBeGreaterThan(0);
    expect(stats.vanished).toBeGreaterThan(0);
    // Keys deleted before SCAN reached them are simply not listed (not a point-in-time snapshot).
    expect(stats.records + stats.vanished).toBeLessThan(302); // db12 also holds k:db12, h:db12
    const parser = new KeysArtifactParser();
    const records = parser.push(Buffer.from(lines.join('')));
    const trailer = parser.end();
    expect(trailer).toMatchObject({ end: true, records: stats.records, vanished: stats.vanished });
    expect(records).toHaveLength(stats.records);

    // An artifact listing one key twice (SCAN may, while the table rehashes): the later copy wins.
    const header = lines[0]!;
    const record = (value: string) => {
      const line = JSON.parse(lines[1]!.split('\n')[0]!) as { key: string; dump: string };
      return JSON.stringify({
        key: Buffer.from('dup').toString('base64'),
        type: 'string',
        dump: line.dump,
        value,
      });
    };
    const d = await client(source.url(), { db: 12 });
    await d.set('tmp', 'second copy');
    const second = (await d.dumpBuffer('tmp'))!.toString('base64');
    await d.del('tmp');
    d.disconnect();
    const artifact =
      header +
      `${record('first')}\n` +
      `${JSON.stringify({ key: Buffer.from('dup').toString('base64'), type: 'string', dump: second })}\n` +
      `${JSON.stringify({ end: true, records: 2, vanished: 0, rdbVersion: 10, finishedAt: new Date().toISOString() })}\n`;
    const restoreTarget = await RestoreTarget.open(parseRedisUrl(target.url()));
    try {
      const result = await restoreKeys(
        {
          unit: 'db12',
          db: 12,
          open: async () => Readable.from([Buffer.from(artifact)]),
          target: restoreTarget,
          replace: false,
          batchSize: 500,
          claimed: new Set(),
        },
        ctx(),
      );
      expect(result).toMatchObject({ records: 2, restoredKeys: 2, duplicates: 1 });
    } finally {
      await restoreTarget.close();
    }
    const t = await client(target.url(), { db: 12 });
    expect(await t.get('dup')).toBe('second copy');
    t.disconnect();
    r.disconnect();
  });
});

describe('TLS (rediss:// with client certificates)', () => {
  let source: RedisServer;
  let target: RedisServer;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      startRedis({ tls: true, password: 'tls-pw' }),
      startRedis({ tls: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it.each(['rdb', 'keys'] as const)('%s mode backs up and restores over TLS', async (mode) => {
    const tls = source.tls!;
    const r = await client(source.url(), {
      tls: {
        ca: await readFile(tls.caFile),
        cert: await readFile(tls.certFile),
        key: await readFile(tls.keyFile),
      },
    });
    await r.set('tls:key', 'over tls', 'PX', 500_000);
    await r.rpush('tls:list', 'a', 'b');
    // ~6 MB of incompressible values: the RDB crosses many TLS records and socket reads (the
    // engine reads TLS into one reused buffer too), and verify recomputes its CRC64.
    const blobs = r.pipeline();
    for (let i = 0; i < 600; i++) blobs.set(`tls:blob:${i}`, randomBytes(10_000));
    await blobs.exec();
    r.disconnect();
    const tlsOptions = { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile };
    const engine = createRedisEngine({ url: source.url(), mode, tls: tlsOptions });
    expect(source.url()).toMatch(/^rediss:\/\//);
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
    expect(manifest.engine.metadata['tls']).toBe(true);
    expect(manifest.artifacts[0]!.plaintextBytes).toBeGreaterThan(6_000_000);
    expect((await verifyBackup({ catalog: new Catalog(storage), manifest, engine })).ok).toBe(true);
    const targetTls = target.tls!;
    const [result] = await restoreBackup({
      catalog: new Catalog(storage),
      manifest,
      engine,
      options: {
        targetUrl: target.url(),
        targetTls: { caFile: targetTls.caFile, certFile: targetTls.certFile, keyFile: targetTls.keyFile },
        replace: true,
      },
    });
    expect(result!.metadata['restoredKeys']).toBe(602);

    // Without the client certificate the server refuses the handshake.
    const refused = await createRedisEngine({ url: source.url(), mode, tls: { caFile: tls.caFile } })
      .describe(ctx())
      .catch((e: unknown) => e);
    expect(isBackupError(refused, 'SOURCE_FAILED')).toBe(true);
  });
});
