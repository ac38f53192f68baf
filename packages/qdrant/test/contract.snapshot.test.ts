import { describeEngineContract } from '@backup/core/testing';
import { afterAll, expect } from 'vitest';
import { createQdrantEngine, type QdrantRestoreOptions } from '../src/index.js';
import { QdrantDouble } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { seedPlainCollection, seedRichCollection } from './fixtures/seedCollections.js';
import { type QdrantUnderTest, startQdrantUnderTest } from './fixtures/startQdrantUnderTest.js';

// The shared round trip in mode `snapshot`. Against the double: two collections (every vector kind,
// u64 and UUID ids) restored onto a SECOND empty node (targetUrl). With QDRANT_URL set: against
// that real server, one collection restored under a new name (into).
let qdrant: QdrantUnderTest | undefined;
let target: QdrantDouble | undefined;

describeEngineContract<QdrantRestoreOptions>('qdrant snapshot', async () => {
  const q = await startQdrantUnderTest();
  qdrant = q;
  if (q.live) {
    const source = q.name('runbooks');
    const restored = q.name('restored');
    await seedRichCollection(q.url, source, 60, q.apiKey);
    return {
      engine: createQdrantEngine({ url: q.url, apiKey: q.apiKey, collections: [source] }),
      snapshotSource: () => digestCollection(q.url, source, q.apiKey),
      restoreOptions: { into: restored },
      overwriteOptions: { into: restored, replace: true },
      snapshotTarget: () => digestCollection(q.url, restored, q.apiKey),
      cleanup: () => q.stop(),
    };
  }
  const empty = await QdrantDouble.start({ validator: await SpecValidator.load() });
  target = empty;
  await seedRichCollection(q.url, 'runbooks', 120);
  await seedPlainCollection(q.url, 'entities', 400, { dims: 32 });
  const digest = async (url: string) => {
    const runbooks = await digestCollection(url, 'runbooks');
    expect((runbooks as { points: unknown[] }).points).toHaveLength(120);
    return { runbooks, entities: await digestCollection(url, 'entities') };
  };
  return {
    engine: createQdrantEngine({ url: q.url }),
    snapshotSource: () => digest(q.url),
    restoreOptions: { targetUrl: empty.url },
    overwriteOptions: { targetUrl: empty.url, replace: true },
    snapshotTarget: () => digest(empty.url),
    cleanup: async () => {
      await q.stop();
      await empty.stop();
    },
  };
});

afterAll(() => {
  expect(qdrant?.violations()).toEqual([]);
  expect(target?.violations ?? []).toEqual([]);
});
