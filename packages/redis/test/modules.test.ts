import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, verifyBackup } from '@backup/core';
import { type RedisServer, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDumpPayload,
  createRedisEngine,
  openRdbStream,
  parseRedisUrl,
  RdbStreamParser,
} from '../src/index.js';
import { client } from './fixtures/data.js';

// Module data types as FalkorDB's graphs are, exercised with the module Debian ships
// (`apt-get install redis-redisearch`: RediSearch 1.2, types ft_index0 and ft_invidx, plus module
// AUX data). Skipped when the module is not installed.
const MODULE = process.env['REDISEARCH_MODULE'] ?? '/usr/lib/redis/modules/redisearch.so';
const installed = existsSync(MODULE);
if (!installed)
  console.info(`${MODULE} not found: module-type tests skipped (apt-get install redis-redisearch)`);

describe.skipIf(!installed)('module data types (RediSearch module)', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  const search = async (server: RedisServer) => {
    const r = await client(server.url());
    try {
      return JSON.stringify(await r.call('FT.SEARCH', 'docs', 'hello'));
    } finally {
      r.disconnect();
    }
  };
  beforeAll(async () => {
    [source, target] = await Promise.all([
      startRedis({ modules: [MODULE] }),
      startRedis({ modules: [MODULE] }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'redis-modules-'));
    const r = await client(source.url());
    await r.call('FT.CREATE', 'docs', 'SCHEMA', 'title', 'TEXT', 'body', 'TEXT');
    for (let i = 0; i < 20; i++) {
      await r.call(
        'FT.ADD',
        'docs',
        `doc${i}`,
        '1.0',
        'FIELDS',
        'title',
        `hello ${i}`,
        'body',
        `body text number ${i}`,
      );
    }
    r.disconnect();
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the RDB parser copies module values (RDB_TYPE_MODULE_2) byte-identical to DUMP', async () => {
    const transfer = await openRdbStream({ endpoint: parseRedisUrl(source.url()) });
    const parser = new RdbStreamParser();
    const modules: string[] = [];
    const r = await client(source.url());
    let compared = 0;
    const check = async (entries: ReturnType<RdbStreamParser['push']>) => {
      for (const e of entries) {
        if (e.kind !== 'key' || e.module === undefined) continue;
        modules.push(e.module);
        const dump = await r.dumpBuffer(e.key);
        expect(buildDumpPayload(e.type, e.value, parser.rdbVersion!).equals(dump!)).toBe(true);
        compared++;
      }
    };
    for await (const chunk of transfer.stream) await check(parser.push(Buffer.from(chunk as Buffer)));
    const end = parser.end();
    await check(end.entries);
    r.disconnect();
    expect(compared).toBeGreaterThan(5);
    expect(new Set(modules)).toEqual(new Set(['ft_index0', 'ft_invidx']));
    expect(end.summary.types['module:ft_index0']).toBe(1);
  });

  it('keys mode carries module values through DUMP/RESTORE; an RDB restore points to toFile, which works', async () => {
    const before = await search(source);
    expect(before).toContain('doc1');
    const storage = new FsStorage({ path: join(dir, 'sets') });
    const catalog = new Catalog(storage);

    const keys = createRedisEngine({ url: source.url(), mode: 'keys' });
    const keysSet = await runBackup({
      job: 'keys',
      engine: keys,
      storage,
      compression: { algorithm: 'zstd' },
    });
    expect(keysSet.units[0]!.metadata['types']).toMatchObject({ 'module:ft_index0': 1, hash: 20 });
    expect((await verifyBackup({ catalog, manifest: keysSet, engine: keys })).ok).toBe(true);
    await restoreBackup({ catalog, manifest: keysSet, engine: keys, options: { targetUrl: target.url() } });
    expect(await search(target)).toBe(before);

    const rdb = createRedisEngine({ url: source.url() });
    const rdbSet = await runBackup({ job: 'rdb', engine: rdb, storage, compression: { algorithm: 'zstd' } });
    expect(rdbSet.units[0]!.metadata['modules']).toEqual(['ft']);
    expect((await verifyBackup({ catalog, manifest: rdbSet, engine: rdb })).ok).toBe(true);
    const refused = await restoreBackup({
      catalog,
      manifest: rdbSet,
      engine: rdb,
      options: { targetUrl: target.url(), replace: true },
    }).catch((e: unknown) => e);
    expect(isBackupError(refused, 'RESTORE_FAILED')).toBe(true);
    expect((refused as Error).message).toMatch(/module\(s\) ft loaded.*toFile/);

    const placement = join(dir, 'placement');
    await mkdir(placement);
    await restoreBackup({ catalog, manifest: rdbSet, engine: rdb, options: { toFile: placement } });
    const placed = await startRedis({
      modules: [MODULE],
      config: { dir: placement, dbfilename: 'dump.rdb' },
    });
    try {
      expect(await search(placed)).toBe(before);
    } finally {
      await placed.stop();
    }
  });
});
