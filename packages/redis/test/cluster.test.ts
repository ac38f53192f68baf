import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, restoreBackup, runBackup, verifyBackup } from '@backup/core';
import { type RedisCluster, startRedisCluster } from '@backup/test-services';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine } from '../src/index.js';
import { digestCluster } from './fixtures/data.js';

describe('Redis Cluster', () => {
  let source: RedisCluster;
  let target: RedisCluster;
  let dir: string;
  beforeAll(async () => {
    [source, target] = await Promise.all([
      startRedisCluster({ masters: 3 }),
      startRedisCluster({ masters: 3 }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
    const c = new Cluster([source.url()], { redisOptions: { protocol: 2 } });
    for (let i = 0; i < 300; i++) {
      await c.set(`user:${i}`, `value-${i}`, 'PX', 1_000_000 + i);
      if (i % 10 === 0) await c.hset(`{tag}:h${i}`, { a: String(i) });
      if (i % 25 === 0) await c.xadd(`stream:${i}`, '*', 'n', String(i));
    }
    c.disconnect();
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('RDB mode: one RDB per master with the topology in the manifest; restores into another cluster', async () => {
    const storage = new FsStorage({ path: join(dir, 'rdb') });
    const engine = createRedisEngine({ url: source.url(), cluster: true });
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
    const names = source.nodes.map((n) => `master-127.0.0.1-${n.port}`).sort();
    expect(manifest.units.map((u) => u.name).sort()).toEqual(names);
    expect(manifest.artifacts.map((a) => a.name).sort()).toEqual(names.map((n) => `${n}.rdb.zst`));
    const nodes = (
      manifest.engine.metadata['cluster'] as { nodes: Array<{ role: string; slots: number[][] }> }
    ).nodes;
    expect(nodes).toHaveLength(3);
    const slots = nodes.flatMap((n) => n.slots).reduce((sum, [from, to]) => sum + (to! - from! + 1), 0);
    expect(slots).toBe(16384);
    expect(
      manifest.units.every(
        (u) => Array.isArray(u.metadata['slots']) && typeof u.metadata['nodeId'] === 'string',
      ),
    ).toBe(true);
    const catalog = new Catalog(storage);
    expect((await verifyBackup({ catalog, manifest, engine })).ok).toBe(true);
    const results = await restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url() } });
    expect(results.every((r) => r.metadata['cluster'] === true)).toBe(true);
    expect(results.reduce((n, r) => n + Number(r.metadata['restoredKeys']), 0)).toBe(300 + 30 + 12);
    expect(await digestCluster(target.url())).toEqual(await digestCluster(source.url()));
  });

  it('keys mode: one export per master; restores with replace into the now non-empty cluster', async () => {
    const storage = new FsStorage({ path: join(dir, 'keys') });
    const engine = createRedisEngine({ url: source.url(), cluster: true, mode: 'keys' });
    const manifest = await runBackup({ job: 'redis', engine, storage, compression: { algorithm: 'zstd' } });
    expect(manifest.artifacts.every((a) => a.name.endsWith('.keys.ndjson.zst'))).toBe(true);
    const catalog = new Catalog(storage);
    await expect(
      restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url() } }),
    ).rejects.toThrow(/not empty/);
    await restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url(), replace: true } });
    expect(await digestCluster(target.url())).toEqual(await digestCluster(source.url()));
  });
});
