import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, verifyBackup } from '@backup/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine, parseRedisUrl, RdbStreamCheck } from '../src/index.js';
import { client } from './fixtures/data.js';

// FalkorDB cannot be installed on these machines: these tests run against a server given by
// FALKORDB_URL (redis://[user:pass@]host:port[/db], e.g. `docker run -p 6379:6379 falkordb/falkordb`).
// They create, back up, delete and restore one uniquely named graph and leave other keys alone.
const url = process.env['FALKORDB_URL'];
if (!url)
  console.info('FALKORDB_URL is not set: FalkorDB tests skipped (no FalkorDB server is installable here)');

describe.skipIf(!url)('FalkorDB graphs (FALKORDB_URL)', () => {
  const graph = `backup_test_${randomBytes(4).toString('hex')}`;
  const db = parseRedisUrl(url ?? 'redis://x').db ?? 0;
  let dir: string;
  const count = async (): Promise<string> => {
    const r = await client(url!, { db });
    try {
      return JSON.stringify(
        await r.call(
          'GRAPH.QUERY',
          graph,
          'MATCH (p:Person)-[k:KNOWS]->(q) RETURN p.name, q.name, k.since ORDER BY p.name',
        ),
      );
    } finally {
      r.disconnect();
    }
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falkordb-'));
    const r = await client(url!, { db });
    await r.call(
      'GRAPH.QUERY',
      graph,
      "CREATE (:Person {name:'ada'})-[:KNOWS {since: 1843}]->(:Person {name:'charles'}), (:Person {name:'alan'})-[:KNOWS {since: 1936}]->(:Person {name:'alonzo'})",
    );
    r.disconnect();
  });
  afterAll(async () => {
    const r = await client(url!, { db }).catch(() => undefined);
    await r?.call('GRAPH.DELETE', graph).catch(() => {});
    r?.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keys mode carries the graph key (a module value) through DUMP/RESTORE unchanged', async () => {
    const before = await count();
    expect(before).toContain('ada');
    const storage = new FsStorage({ path: join(dir, 'keys') });
    const engine = createRedisEngine({ url: url!, mode: 'keys', match: graph, databases: [db] });
    const manifest = await runBackup({
      job: 'falkordb',
      engine,
      storage,
      compression: { algorithm: 'zstd' },
    });
    expect(manifest.units[0]!.metadata['types']).toEqual({ 'module:graphdata': 1 });
    const catalog = new Catalog(storage);
    expect((await verifyBackup({ catalog, manifest, engine })).ok).toBe(true);
    const r = await client(url!, { db });
    await r.call('GRAPH.DELETE', graph);
    r.disconnect();
    // The database may hold other keys on a shared server: replace lets the restore in, and only
    // overwrites keys of the same name.
    await restoreBackup({ catalog, manifest, engine, options: { replace: true } });
    expect(await count()).toBe(before);
  });

  it('RDB mode: verify parses the module values; network restore points to toFile, which writes the RDB', async () => {
    const storage = new FsStorage({ path: join(dir, 'rdb') });
    const engine = createRedisEngine({ url: url! });
    const manifest = await runBackup({
      job: 'falkordb',
      engine,
      storage,
      compression: { algorithm: 'zstd' },
    }).catch((error: unknown) => {
      if (isBackupError(error, 'SOURCE_FAILED') && /refused SYNC/.test((error as Error).message))
        return undefined;
      throw error;
    });
    if (!manifest) {
      console.info('FALKORDB_URL refuses SYNC: RDB-mode FalkorDB test skipped');
      return;
    }
    expect(manifest.units[0]!.metadata['modules']).toContain('graph');
    const catalog = new Catalog(storage);
    expect((await verifyBackup({ catalog, manifest, engine })).ok).toBe(true);
    const error = await restoreBackup({ catalog, manifest, engine, options: { replace: true } }).catch(
      (e: unknown) => e,
    );
    expect(isBackupError(error, 'RESTORE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/toFile/);
    const [written] = await restoreBackup({
      catalog,
      manifest,
      engine,
      options: { toFile: join(dir, 'dump.rdb') },
    });
    const check = new RdbStreamCheck();
    check.update(await (await import('node:fs/promises')).readFile(join(dir, 'dump.rdb')));
    expect(check.finish().bytes).toBe(written!.metadata['bytes']);
  });
});
