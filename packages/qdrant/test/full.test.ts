import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, verifyBackup } from '@backup/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantEngine } from '../src/index.js';
import { snapshotFiles } from '../src/testing/doubleRoutes.js';
import { QdrantDouble, startQdrantCluster } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { qdrantOk } from './fixtures/qdrantHttp.js';
import { seedPlainCollection, seedRichCollection } from './fixtures/seedCollections.js';

// Mode `full`: one storage snapshot (single node), aliases recorded, restored through the API.

let validator: SpecValidator;
let source: QdrantDouble;
let target: QdrantDouble;
let dir: string;
let storage: FsStorage;

beforeAll(async () => {
  validator = await SpecValidator.load();
  source = await QdrantDouble.start({ validator });
  target = await QdrantDouble.start({ validator });
  await seedRichCollection(source.url, 'decisions', 50);
  await seedPlainCollection(source.url, 'documentation', 120);
  await qdrantOk(source.url, 'POST', '/collections/aliases', {
    body: { actions: [{ create_alias: { alias_name: 'docs', collection_name: 'documentation' } }] },
  });
  dir = await mkdtemp(join(tmpdir(), 'qdrant-full-'));
  storage = new FsStorage({ path: dir });
});
afterAll(async () => {
  await source?.stop();
  await target?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(source.violations).toEqual([]);
  expect(target.violations).toEqual([]);
});

describe('full storage snapshot', () => {
  it('backs up storage with aliases, verifies the nested tar, restores collections and aliases via the API', async () => {
    const engine = createQdrantEngine({ url: source.url, mode: 'full' });
    const manifest = await runBackup({ job: 'full', engine, storage, compression: { algorithm: 'zstd' } });
    expect(manifest.units).toHaveLength(1);
    const unit = manifest.units[0]!;
    expect(unit).toMatchObject({
      name: 'storage',
      kind: 'full-snapshot',
      metadata: {
        collectionNames: ['decisions', 'documentation'],
        aliases: { docs: 'documentation' },
        serverSnapshotDeleted: true,
        collections: {
          decisions: {
            file: expect.stringMatching(/^decisions-\d+-.*\.snapshot$/),
            sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          },
          documentation: { file: expect.stringMatching(/^documentation-/), bytes: expect.any(Number) },
        },
      },
    });
    expect(manifest.artifacts.map((a) => a.name)).toEqual(['storage.snapshot.zst']);
    expect(await snapshotFiles(source)).toEqual([]);

    const catalog = new Catalog(storage);
    expect((await verifyBackup({ catalog, manifest, engine })).ok).toBe(true);

    await restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url } });
    for (const name of ['decisions', 'documentation']) {
      expect(await digestCollection(target.url, name)).toEqual(await digestCollection(source.url, name));
    }
    expect(await qdrantOk(target.url, 'GET', '/aliases')).toEqual({
      aliases: [{ alias_name: 'docs', collection_name: 'documentation' }],
    });
    // each inner snapshot was uploaded with the checksum recorded at backup
    const uploads = target.served('recover_from_uploaded_snapshot');
    expect(uploads.map((u) => u.query['checksum']).sort()).toEqual(
      Object.values(unit.metadata['collections'] as Record<string, { sha256: string }>)
        .map((c) => c.sha256)
        .sort(),
    );
    expect(uploads.every((u) => u.query['priority'] === 'snapshot')).toBe(true);

    await expect(
      restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url } }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'TARGET_NOT_EMPTY'));
    await restoreBackup({ catalog, manifest, engine, options: { targetUrl: target.url, replace: true } });
    expect(await digestCollection(target.url, 'decisions')).toEqual(
      await digestCollection(source.url, 'decisions'),
    );
    await expect(
      restoreBackup({
        catalog,
        manifest,
        engine,
        options: { targetUrl: target.url, replace: true, into: 'x' },
      }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'CONFIG_INVALID'));
  });

  it('is refused for clusters', async () => {
    expect(() => createQdrantEngine({ nodes: ['http://a:6333', 'http://b:6333'], mode: 'full' })).toThrow(
      /single-node/,
    );
    const nodes = await startQdrantCluster(2, { validator });
    try {
      const engine = createQdrantEngine({ url: nodes[0]!.url, mode: 'full' });
      await expect(
        runBackup({ job: 'full-cluster', engine, storage, compression: { algorithm: 'none' } }),
      ).rejects.toSatisfy((e) => isBackupError(e, 'CONFIG_INVALID'));
    } finally {
      for (const node of nodes) await node.stop();
    }
  });
});
