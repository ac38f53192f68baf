import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type ArtifactRecord,
  type BackupError,
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  restoreBackup,
  runBackup,
  type StorageBackend,
  silentLogger,
  verifyBackup,
} from '@backup/core';
import { type RedisServer, startRedis } from '@backup/test-services';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Crc64,
  createRedisEngine,
  openRdbStream,
  parseRedisUrl,
  REDIS_RDB_MEDIA_TYPE,
} from '../src/index.js';
import { client } from './fixtures/data.js';

const ctx = () => ({ signal: new AbortController().signal, logger: silentLogger });

async function listKeys(storage: StorageBackend): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('')) keys.push(object.key);
  return keys;
}

async function fillRandom(url: string, keys: number, bytes: number): Promise<void> {
  const r = await client(url);
  const p = r.pipeline();
  for (let i = 0; i < keys; i++) p.set(`blob:${i}`, randomBytes(bytes));
  await p.exec();
  r.disconnect();
}

let dir: string;
let storage: FsStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redis-failures-'));
  storage = new FsStorage({ path: dir });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a server killed during a backup', () => {
  it('diskless: killed mid-transfer, the job fails with SOURCE_FAILED and leaves no set', async () => {
    // 2 ms per key while the fork writes the RDB: the transfer trickles for ~2 s. 3 MB, so the
    // first 1 MiB chunk (ReplicationRdbStream's default batchBytes) reaches the pipeline, and the
    // kill, a third of the way through.
    const server = await startRedis({ disklessSync: true, config: { 'rdb-key-save-delay': 2000 } });
    try {
      await fillRandom(server.url(), 1000, 3000);
      let seen = 0;
      const error = await runBackup({
        job: 'redis',
        engine: createRedisEngine({ url: server.url() }),
        storage,
        compression: { algorithm: 'zstd' },
        onProgress: (_artifact, bytes) => {
          if (seen === 0 && bytes > 0) void server.kill();
          seen = bytes;
        },
      }).catch((e: unknown) => e);
      expect(seen).toBeGreaterThan(0);
      expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/ended early: the connection closed after \d+ bytes/);
      expect(await listKeys(storage)).toEqual([]);
      expect(await new Catalog(storage).listBackups('redis')).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('disk-based: killed after $<len>, the stream errors with the byte count instead of ending', async () => {
    const server = await startRedis({ disklessSync: false });
    try {
      await fillRandom(server.url(), 320, 100_000); // a 32 MB RDB: far more than the socket buffers
      const transfer = await openRdbStream({ endpoint: parseRedisUrl(server.url()) });
      expect(transfer.transfer).toBe('disk');
      expect(transfer.length).toBeGreaterThan(30_000_000);
      const first = await new Promise<Buffer>((resolve) => transfer.stream.once('data', resolve));
      transfer.stream.pause();
      await server.kill();
      let received = first.length;
      const error = await (async () => {
        for await (const chunk of transfer.stream) received += (chunk as Buffer).length;
      })().catch((e: unknown) => e);
      expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
      // The count is what arrived from the server; bytes still in the stream's read buffer when
      // the error lands are dropped (the set is failed anyway), so the consumer may see fewer.
      const match = /closed after (\d+) of (\d+) bytes/.exec((error as Error).message);
      expect(match, (error as Error).message).not.toBeNull();
      expect(Number(match![2])).toBe(transfer.length);
      expect(Number(match![1])).toBeGreaterThanOrEqual(received);
      expect(Number(match![1])).toBeLessThan(transfer.length!);
      expect((error as BackupError).details.receivedBytes).toBe(Number(match![1]));
    } finally {
      await server.stop();
    }
  });

  it('disk-based: killed while BGSAVE runs (keepalive phase), the job fails with SOURCE_FAILED', async () => {
    // BGSAVE takes ~1.2 s (3 ms per key); the master sends a newline per second meanwhile. The
    // forked child keeps the connection open until it exits, then the link closes.
    const server = await startRedis({ disklessSync: false, config: { 'rdb-key-save-delay': 3000 } });
    try {
      await fillRandom(server.url(), 400, 100);
      const killer = setTimeout(() => void server.kill(), 400);
      const error = await runBackup({
        job: 'redis',
        engine: createRedisEngine({ url: server.url() }),
        storage,
        compression: { algorithm: 'zstd' },
      }).catch((e: unknown) => e);
      clearTimeout(killer);
      expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(
        /Waiting for the RDB after SYNC on 127\.0\.0\.1:\d+ failed: the server closed the connection/,
      );
      expect(await new Catalog(storage).listBackups('redis')).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('an aborted backup fails with ABORTED', async () => {
    const server = await startRedis({ disklessSync: true, config: { 'rdb-key-save-delay': 2000 } });
    try {
      await fillRandom(server.url(), 500, 100);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const error = await runBackup({
        job: 'redis',
        engine: createRedisEngine({ url: server.url() }),
        storage,
        compression: { algorithm: 'zstd' },
        signal: controller.signal,
      }).catch((e: unknown) => e);
      expect(isBackupError(error, 'ABORTED')).toBe(true);
      expect(await listKeys(storage)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('failures on a healthy server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({
      password: 'top-secret-pw',
      users: [{ name: 'nosync', password: 'nosync-pw', rules: '~* &* +@all -sync -psync' }],
    });
    const r = await client(server.url());
    await r.set('a', 'b'.repeat(1000));
    await r.hset('h', { x: '1' });
    r.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a wrong password fails with SOURCE_FAILED without the password in the message', async () => {
    for (const mode of ['rdb', 'keys'] as const) {
      const url = `redis://:Wr0ng-pass-xyz@127.0.0.1:${server.port}`;
      const error = await runBackup({
        job: 'redis',
        engine: createRedisEngine({ url, mode }),
        storage,
        compression: { algorithm: 'zstd' },
      }).catch((e: unknown) => e);
      expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/WRONGPASS.*check the user and password/);
      expect((error as Error).message).not.toContain('Wr0ng');
      expect(JSON.stringify((error as { details: unknown }).details)).not.toContain('Wr0ng');
    }
    expect(await listKeys(storage)).toEqual([]);
  });

  it('a user who may not SYNC gets SOURCE_FAILED pointing to keys mode', async () => {
    const engine = createRedisEngine({ url: server.url({ user: 'nosync', password: 'nosync-pw' }) });
    const error = await runBackup({
      job: 'redis',
      engine,
      storage,
      compression: { algorithm: 'zstd' },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/refused SYNC: NOPERM.*use mode: keys/);
    expect(await listKeys(storage)).toEqual([]);
  });

  it('an unreachable server fails with SOURCE_FAILED', async () => {
    const stopped = await startRedis();
    await stopped.stop();
    const error = await createRedisEngine({ url: stopped.url() })
      .describe(ctx())
      .catch((e: unknown) => e);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/ECONNREFUSED.*reachable/);
  });

  it('rejects invalid options with CONFIG_INVALID', async () => {
    const bad = [
      { url: 'http://x' },
      { url: server.url(), mode: 'rdb', match: 'a*' },
      { url: server.url(), databases: [1] },
      { url: server.url(), mode: 'keys', databases: [] },
      { url: server.url(), mode: 'keys', cluster: true, databases: [2] },
      { url: server.url(), batchSize: 0 },
      { url: `${server.url()}?tls=1` },
    ];
    for (const options of bad) {
      expect(() => createRedisEngine(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
    const cluster = await createRedisEngine({ url: server.url(), cluster: true })
      .discover(ctx())
      .catch((e: unknown) => e);
    expect(isBackupError(cluster, 'CONFIG_INVALID')).toBe(true);
    expect((cluster as Error).message).toMatch(/not a Redis Cluster node/);
  });

  describe('verify', () => {
    let manifest: Manifest;
    let rdb: ArtifactRecord;
    let bytes: Buffer;
    const engine = () => createRedisEngine({ url: server.url() });
    beforeEach(async () => {
      manifest = await runBackup({
        job: 'redis',
        engine: engine(),
        storage,
        compression: { algorithm: 'none' },
      });
      rdb = manifest.artifacts.find((a) => a.mediaType === REDIS_RDB_MEDIA_TYPE)!;
      bytes = await readFile(join(dir, ...rdb.key.split('/')));
    });

    /** Stores `changed` as the artifact and fixes the manifest's digests, so only the engine check can notice. */
    async function tamper(changed: Buffer): Promise<Manifest> {
      await writeFile(join(dir, ...rdb.key.split('/')), changed);
      const sha256 = createHash('sha256').update(changed).digest('hex');
      const artifact = { ...rdb, storedSha256: sha256, plaintextSha256: sha256 };
      return { ...manifest, artifacts: [artifact] };
    }

    it('a corrupted byte in the RDB fails verify with VERIFY_FAILED (CRC64)', async () => {
      const changed = Buffer.from(bytes);
      changed[Math.floor(changed.length / 2)]! ^= 0x20;
      const report = await verifyBackup({
        catalog: new Catalog(storage),
        manifest: await tamper(changed),
        engine: engine(),
      });
      expect(report.ok).toBe(false);
      expect(report.artifacts[0]!.error?.code).toBe('VERIFY_FAILED');
      expect(report.artifacts[0]!.error?.message).toMatch(
        /dump\.rdb is not a valid RDB file: RDB checksum mismatch/,
      );

      const direct = await engine()
        .verify(rdb, Readable.from([changed]), ctx())
        .catch((e: unknown) => e);
      expect(isBackupError(direct, 'VERIFY_FAILED')).toBe(true);
    });

    it('a stored byte flipped without fixing the manifest is a CHECKSUM_MISMATCH, also on restore', async () => {
      const changed = Buffer.from(bytes);
      changed[changed.length - 30]! ^= 0x01;
      await writeFile(join(dir, ...rdb.key.split('/')), changed);
      const report = await verifyBackup({ catalog: new Catalog(storage), manifest, engine: engine() });
      expect(report.artifacts[0]!.error?.code).toBe('CHECKSUM_MISMATCH');
      const target = await startRedis();
      try {
        await expect(
          restoreBackup({
            catalog: new Catalog(storage),
            manifest,
            engine: engine(),
            options: { targetUrl: target.url() },
          }),
        ).rejects.toSatisfy((e) => isBackupError(e, 'CHECKSUM_MISMATCH'));
      } finally {
        await target.stop();
      }
    });

    it('redis-check-rdb runs with checkRdb: true and rejects what only it can see', async () => {
      // Break the listpack of hash "h" (its 4-byte total length) and recompute the CRC64: the
      // record framing stays valid, so our parser accepts it; redis-check-rdb loads the listpack.
      const changed = Buffer.from(bytes);
      const record = changed.indexOf(Buffer.from([16, 1, 0x68]));
      changed.writeUInt32LE(0xffff, record + 4);
      new Crc64().update(changed, 0, changed.length - 8).writeLE(changed, changed.length - 8);
      const tampered = await tamper(changed);
      const withTool = createRedisEngine({ url: server.url(), checkRdb: true });
      const report = await verifyBackup({
        catalog: new Catalog(storage),
        manifest: tampered,
        engine: withTool,
      });
      expect(report.artifacts[0]!.error?.code).toBe('VERIFY_FAILED');
      expect(report.artifacts[0]!.error?.message).toMatch(
        /redis-check-rdb rejected dump\.rdb[\s\S]*RDB ERROR DETECTED/,
      );
      const without = createRedisEngine({ url: server.url(), checkRdb: false });
      expect(
        (await verifyBackup({ catalog: new Catalog(storage), manifest: tampered, engine: without })).ok,
      ).toBe(true);

      const missing = createRedisEngine({
        url: server.url(),
        checkRdb: true,
        redisCheckRdb: '/nonexistent/redis-check-rdb',
      });
      const noTool = await verifyBackup({ catalog: new Catalog(storage), manifest, engine: missing });
      expect(noTool.artifacts[0]!.error?.message).toMatch(/cannot run/);
    });

    it('refuses RDB restores of module data over the network, pointing to toFile', async () => {
      const withModule: Manifest = {
        ...manifest,
        units: manifest.units.map((u) => ({ ...u, metadata: { ...u.metadata, modules: ['graph'] } })),
      };
      const error = await restoreBackup({
        catalog: new Catalog(storage),
        manifest: withModule,
        engine: engine(),
        options: { replace: true },
      }).catch((e: unknown) => e);
      expect(isBackupError(error, 'RESTORE_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(
        /module\(s\) graph loaded.*toFile.*--to-file.*docs\/redis\.md.*keys mode/,
      );
    });
  });

  it('keys-mode sets cannot be restored with toFile', async () => {
    const engine = createRedisEngine({ url: server.url(), mode: 'keys' });
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
    const error = await restoreBackup({
      catalog: new Catalog(storage),
      manifest,
      engine,
      options: { toFile: join(dir, 'x.rdb') },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
