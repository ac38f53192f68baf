import { describeEngineContract } from '@backup/core/testing';
import { afterAll, expect } from 'vitest';
import { createQdrantEngine, type QdrantRestoreOptions } from '../src/index.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { seedRichCollection } from './fixtures/seedCollections.js';
import { type QdrantUnderTest, startQdrantUnderTest } from './fixtures/startQdrantUnderTest.js';

// The shared round trip in mode `export` (portable NDJSON): a collection with every vector kind,
// ids above 2^53 and a UUID, restored under a new name on the same server (the double, or the real
// Qdrant at QDRANT_URL).
let qdrant: QdrantUnderTest | undefined;

describeEngineContract<QdrantRestoreOptions>('qdrant export', async () => {
  const q = await startQdrantUnderTest();
  qdrant = q;
  const source = q.name('documentation');
  const restored = q.name('documentation_restored');
  await seedRichCollection(q.url, source, 150, q.apiKey);
  return {
    engine: createQdrantEngine({
      url: q.url,
      apiKey: q.apiKey,
      mode: 'export',
      collections: [source],
      batchSize: 40,
    }),
    snapshotSource: async () => {
      const digest = await digestCollection(q.url, source, q.apiKey);
      expect((digest as { points: unknown[] }).points).toHaveLength(150);
      return digest;
    },
    restoreOptions: { into: restored },
    overwriteOptions: { into: restored, replace: true },
    snapshotTarget: () => digestCollection(q.url, restored, q.apiKey),
    cleanup: () => q.stop(),
  };
});

afterAll(() => {
  expect(qdrant?.violations()).toEqual([]);
});
