import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage, isBackupError, runBackup } from '@backup/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantEngine } from '../src/index.js';
import { snapshotFiles } from '../src/testing/doubleRoutes.js';
import { QdrantDouble } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { qdrantOk } from './fixtures/qdrantHttp.js';
import { seedPlainCollection, seedRichCollection } from './fixtures/seedCollections.js';

// What a snapshot backup records, which collections it selects, and the server-side cleanup.

let double: QdrantDouble;
let dir: string;
let storage: FsStorage;

beforeAll(async () => {
  double = await QdrantDouble.start({ validator: await SpecValidator.load() });
  await seedRichCollection(double.url, 'runbooks', 30);
  await seedPlainCollection(double.url, 'entities', 20);
  await seedPlainCollection(double.url, 'scratch', 5);
  dir = await mkdtemp(join(tmpdir(), 'qdrant-backup-'));
  storage = new FsStorage({ path: dir });
});
afterAll(async () => {
  await double?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(double.violations).toEqual([]);
});

describe('snapshot backup', () => {
  it('records Qdrant version, collection config, vectors, points count and the snapshot facts', async () => {
    const engine = createQdrantEngine({ url: double.url, exclude: ['scratch'] });
    const manifest = await runBackup({ job: 'qdrant', engine, storage, compression: { algorithm: 'zstd' } });
    expect(manifest.engine).toMatchObject({
      name: 'qdrant',
      version: '1.19.0',
      metadata: {
        mode: 'snapshot',
        distributed: false,
        nodes: [{ url: double.url, version: '1.19.0', cluster: 'disabled' }],
      },
    });
    expect(manifest.units.map((u) => u.name)).toEqual(['entities', 'runbooks']);
    const runbooks = manifest.units.find((u) => u.name === 'runbooks')!;
    expect(runbooks).toMatchObject({
      kind: 'collection',
      metadata: {
        status: 'green',
        pointsCount: 30,
        vectors: {
          text: { size: 8, distance: 'Dot' },
          colbert: { size: 4, distance: 'Euclid', multivector_config: { comparator: 'max_sim' } },
        },
        sparseVectors: { keywords: {} },
        shardNumber: 1,
        shardingMethod: 'auto',
        config: {
          params: { shard_number: 1 },
          hnsw_config: { m: 16 },
          metadata: { owner: 'mind-v5', ratio: 1 },
        },
        payloadSchema: { kind: { data_type: 'keyword', points: 30 } },
        layout: [{ node: double.url, localShards: [{ shardId: 0, pointsCount: 30 }], remoteShards: [] }],
        snapshots: [{ node: double.url, serverSnapshotDeleted: true }],
      },
    });
    const artifact = manifest.artifacts.find((a) => a.unit === 'runbooks')!;
    expect(artifact).toMatchObject({ name: 'runbooks.snapshot.zst', mediaType: 'application/x-tar' });
    // Qdrant's checksum and size ARE the sha256 and size of the plaintext we stored
    expect(artifact.metadata).toMatchObject({
      kind: 'collection-snapshot',
      collection: 'runbooks',
      node: double.url,
      qdrantChecksum: artifact.plaintextSha256,
      size: artifact.plaintextBytes,
      qdrantVersion: '1.19.0',
      snapshotName: expect.stringMatching(/^runbooks-\d+-\d{4}(-\d{2}){5}\.snapshot$/),
    });
    expect(await snapshotFiles(double)).toEqual([]);
  });

  it('keeps server-side snapshots with deleteServerSnapshots: false', async () => {
    const engine = createQdrantEngine({
      url: double.url,
      collections: ['entities'],
      deleteServerSnapshots: false,
    });
    const manifest = await runBackup({ job: 'keep', engine, storage, compression: { algorithm: 'none' } });
    const name = manifest.artifacts[0]!.metadata['snapshotName'] as string;
    expect(await snapshotFiles(double)).toEqual([
      `collections/entities/${name}`,
      `collections/entities/${name}.checksum`,
    ]);
    await qdrantOk(double.url, 'DELETE', `/collections/entities/snapshots/${name}`);
  });

  it('refuses unknown collections with the list of existing ones', async () => {
    const engine = createQdrantEngine({ url: double.url, collections: ['runbooks', 'ghost'] });
    await expect(
      runBackup({ job: 'ghost', engine, storage, compression: { algorithm: 'none' } }),
    ).rejects.toSatisfy(
      (e) =>
        isBackupError(e, 'CONFIG_INVALID') &&
        /ghost do not exist .*it has: runbooks, entities, scratch/.test((e as Error).message),
    );
  });

  it('fails when nothing is selected', async () => {
    const engine = createQdrantEngine({ url: double.url, collections: ['scratch'], exclude: ['scratch'] });
    await expect(
      runBackup({ job: 'none', engine, storage, compression: { algorithm: 'none' } }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'SOURCE_FAILED'));
  });
});
