import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, silentLogger } from '@backup/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantEngine, QDRANT_EXPORT_MEDIA_TYPE } from '../src/index.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { qdrantOk, qdrantRequest } from './fixtures/qdrantHttp.js';
import { BIG_ID, HUGE_ID, seedRichCollection, UUID_ID } from './fixtures/seedCollections.js';
import { type QdrantUnderTest, startQdrantUnderTest } from './fixtures/startQdrantUnderTest.js';

// The portable export (mode `export`): exact ids above 2^53 and UUIDs, every vector kind, payload
// number types, the documented NDJSON layout, and its structural verification.

let q: QdrantUnderTest;
let dir: string;
let storage: FsStorage;
let memories: string;

beforeAll(async () => {
  q = await startQdrantUnderTest();
  memories = q.name('memories');
  await seedRichCollection(q.url, memories, 40, q.apiKey);
  dir = await mkdtemp(join(tmpdir(), 'qdrant-export-'));
  storage = new FsStorage({ path: dir });
});
afterAll(async () => {
  await q?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(q.violations()).toEqual([]);
});

const ctx = { signal: new AbortController().signal, logger: silentLogger };

describe('portable NDJSON export', () => {
  it('writes header, exact points and footer, and imports them back losslessly under another name', async () => {
    const engine = createQdrantEngine({
      url: q.url,
      apiKey: q.apiKey,
      mode: 'export',
      collections: [memories],
      batchSize: 7,
    });
    const manifest = await runBackup({ job: 'export', engine, storage, compression: { algorithm: 'none' } });
    const artifact = manifest.artifacts[0]!;
    expect(artifact).toMatchObject({ name: `${memories}.ndjson`, mediaType: QDRANT_EXPORT_MEDIA_TYPE });
    expect(manifest.units[0]).toMatchObject({
      name: memories,
      kind: 'collection',
      metadata: { exportedPoints: 40 },
    });

    const text = await readFile(join(dir, ...artifact.key.split('/')), 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(42);
    const header = JSON.parse(lines[0]!);
    expect(header).toMatchObject({
      type: 'header',
      format: 'qdrant-points-ndjson',
      formatVersion: 1,
      collection: memories,
      config: {
        params: { vectors: { text: { size: 8, distance: 'Dot' } }, sparse_vectors: { keywords: {} } },
      },
      payloadSchema: {
        kind: { data_type: 'keyword' },
        rank: { data_type: 'integer' },
        score: { data_type: 'float' },
      },
    });
    expect(header.qdrantVersion).toBe(manifest.engine.version);
    // numbers keep their exact text: u64 ids, "1.0" floats (payload and collection metadata)
    expect(lines[0]).toContain('"ratio":1.0');
    expect(text).toContain(`"id":${HUGE_ID}`);
    expect(text).toContain(`"id":${BIG_ID}`);
    expect(text).toContain(`"id":"${UUID_ID}"`);
    expect(text).toMatch(/"score":1\.0[,}]/);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ type: 'footer', points: 40 });
    const first = JSON.parse(lines[1]!) as { type: string; vector: Record<string, unknown> };
    expect(first.type).toBe('point');
    expect(first.vector['text']).toHaveLength(8);
    expect(first.vector['colbert']).toEqual([expect.any(Array), expect.any(Array)]);
    expect(first.vector['keywords']).toEqual({ indices: expect.any(Array), values: expect.any(Array) });

    const copy = q.name('memories_v2');
    const catalog = new Catalog(storage);
    await restoreBackup({ catalog, manifest, engine, options: { into: copy } });
    expect(await digestCollection(q.url, copy, q.apiKey)).toEqual(
      await digestCollection(q.url, memories, q.apiKey),
    );
    const restored = await qdrantRequest(q.url, 'POST', `/collections/${copy}/points/scroll`, {
      apiKey: q.apiKey,
      body: { limit: 100, with_vector: ['colbert'] },
    });
    expect(restored.text).toContain(`"id":${HUGE_ID}`);
    const info = (await qdrantOk(q.url, 'GET', `/collections/${copy}`, { apiKey: q.apiKey })) as {
      config: { metadata?: unknown };
    };
    expect(JSON.stringify(info.config.metadata)).toContain('mind-v5');
    if (q.double) {
      // upserts in batches of batchSize, ids sent exactly (no 18446744073709552000)
      const upserts = q.double
        .served('upsert_points')
        .filter((r) => r.path === `/collections/${copy}/points`);
      expect(upserts).toHaveLength(Math.ceil(40 / 7));
    }
  });

  it('refuses collections with custom sharding (use mode snapshot)', async () => {
    const tenants = q.name('tenants');
    await qdrantOk(q.url, 'PUT', `/collections/${tenants}`, {
      apiKey: q.apiKey,
      body: { vectors: { size: 4, distance: 'Dot' }, sharding_method: 'custom' },
    });
    const engine = createQdrantEngine({
      url: q.url,
      apiKey: q.apiKey,
      mode: 'export',
      collections: [tenants],
    });
    await expect(
      runBackup({ job: 'custom', engine, storage, compression: { algorithm: 'none' } }),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /custom sharding/.test((e as Error).message),
    );
  });
});

describe('verify of an export', () => {
  const engine = () => createQdrantEngine({ url: 'http://127.0.0.1:1' });
  const artifact = {
    name: 'x.ndjson',
    key: 'x/20260101-000000/x.ndjson',
    unit: 'x',
    mediaType: QDRANT_EXPORT_MEDIA_TYPE,
    plaintextBytes: 0,
    storedBytes: 0,
    plaintextSha256: '0'.repeat(64),
    storedSha256: '0'.repeat(64),
    compression: { algorithm: 'none' as const },
    encryption: null,
    metadata: { kind: 'export' },
  };
  const header = JSON.stringify({
    type: 'header',
    format: 'qdrant-points-ndjson',
    formatVersion: 1,
    config: { params: {} },
  });
  const point = (id: unknown) => JSON.stringify({ type: 'point', id, vector: { a: [0.5] }, payload: {} });
  const verify = (text: string) => engine().verify(artifact, Readable.from([text]), ctx);

  it('accepts a complete export', async () => {
    await expect(
      verify(`${header}\n${point(1)}\n${point(UUID_ID)}\n{"type":"footer","points":2}\n`),
    ).resolves.toBeUndefined();
  });

  it('reports a truncated export (no footer), a wrong count, a bad id and a missing header', async () => {
    const failure = async (text: string) => {
      const error = await verify(text).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBackupError(error, 'VERIFY_FAILED')).toBe(true);
      return (error as Error).message;
    };
    expect(await failure(`${header}\n${point(1)}\n`)).toMatch(
      /no footer line: the export is truncated after 1 points/,
    );
    expect(await failure(`${header}\n${point(1)}\n{"type":"footer","points":2}\n`)).toMatch(
      /footer counts 2 points, the file has 1/,
    );
    expect(await failure(`${header}\n${point(-3)}\n{"type":"footer","points":1}\n`)).toMatch(
      /neither a uint64 nor a UUID/,
    );
    expect(await failure(`${point(1)}\n`)).toMatch(
      /line 1: the first line must be a qdrant-points-ndjson header/,
    );
  });
});
