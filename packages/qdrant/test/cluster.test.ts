import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, verifyBackup } from '@backup/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantEngine } from '../src/index.js';
import { type QdrantDouble, startQdrantCluster } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { seedPlainCollection } from './fixtures/seedCollections.js';

// Distributed mode against a 2-node double cluster: shard s lives on peer s % 2, so each node's
// collection snapshot holds half of the points; one peer id is above 2^53.

let validator: SpecValidator;
let cluster: QdrantDouble[];
let dir: string;
let storage: FsStorage;
const extra: QdrantDouble[] = [];

beforeAll(async () => {
  validator = await SpecValidator.load();
  cluster = await startQdrantCluster(2, { validator });
  await seedPlainCollection(cluster[0]!.url, 'entities', 200);
  dir = await mkdtemp(join(tmpdir(), 'qdrant-cluster-'));
  storage = new FsStorage({ path: dir });
});
afterAll(async () => {
  for (const node of [...cluster, ...extra]) await node.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const node of [...cluster, ...extra]) expect(node.violations).toEqual([]);
});

describe('distributed cluster', () => {
  it('snapshots every node, records node/peer/shard layout, restores each snapshot on its peer', async () => {
    const [a, b] = cluster as [QdrantDouble, QdrantDouble];
    const engine = createQdrantEngine({ nodes: [a.url, b.url] });
    const manifest = await runBackup({ job: 'cluster', engine, storage, compression: { algorithm: 'zstd' } });
    const peerA = String(a.peer.peerId);
    const peerB = String(b.peer.peerId);
    expect(BigInt(peerA)).toBeGreaterThan(2n ** 53n);
    expect(manifest.artifacts.map((x) => x.name).sort()).toEqual(
      [`entities.peer-${peerA}.snapshot.zst`, `entities.peer-${peerB}.snapshot.zst`].sort(),
    );
    expect(manifest.artifacts.find((x) => x.name.includes(peerA))?.metadata).toMatchObject({
      kind: 'collection-snapshot',
      node: a.url,
      peerId: peerA,
    });
    expect(manifest.engine).toMatchObject({ version: '1.19.0', metadata: { distributed: true } });
    const unit = manifest.units[0]!;
    expect(unit.metadata).toMatchObject({
      pointsCount: 200,
      shardNumber: 2,
      layout: [
        {
          node: a.url,
          peerId: peerA,
          localShards: [{ shardId: 0, state: 'Active' }],
          remoteShards: [{ shardId: 1, peerId: peerB }],
        },
        {
          node: b.url,
          peerId: peerB,
          localShards: [{ shardId: 1, state: 'Active' }],
          remoteShards: [{ shardId: 0, peerId: peerA }],
        },
      ],
    });
    const layout = unit.metadata['layout'] as { localShards: { pointsCount: number }[] }[];
    expect(layout[0]!.localShards[0]!.pointsCount + layout[1]!.localShards[0]!.pointsCount).toBe(200);

    const catalog = new Catalog(storage);
    const report = await verifyBackup({ catalog, manifest, engine });
    expect(report.ok).toBe(true);

    await restoreBackup({ catalog, manifest, engine, options: { into: 'entities_copy' } });
    expect(await digestCollection(a.url, 'entities_copy')).toEqual(await digestCollection(a.url, 'entities'));
    expect(a.served('recover_from_uploaded_snapshot').map((r) => r.path)).toEqual([
      '/collections/entities_copy/snapshots/upload',
    ]);
    expect(b.served('recover_from_uploaded_snapshot').map((r) => r.path)).toEqual([
      '/collections/entities_copy/snapshots/upload',
    ]);

    // onto ANOTHER cluster: peers differ, so each source peer is mapped to a target node
    const other = await startQdrantCluster(2, { validator });
    extra.push(...other);
    const [c, d] = other as [QdrantDouble, QdrantDouble];
    await expect(
      restoreBackup({ catalog, manifest, engine, options: { targetNodes: [c.url, d.url] } }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'CONFIG_INVALID') && /nodeMap/.test((e as Error).message));
    await restoreBackup({
      catalog,
      manifest,
      engine,
      options: { targetNodes: [c.url, d.url], nodeMap: { [peerA]: c.url, [peerB]: d.url } },
    });
    expect(await digestCollection(c.url, 'entities')).toEqual(await digestCollection(a.url, 'entities'));
  });

  it('refuses a node list that misses a peer of the cluster', async () => {
    const engine = createQdrantEngine({ nodes: [cluster[0]!.url] });
    await expect(
      runBackup({ job: 'partial', engine, storage, compression: { algorithm: 'none' } }),
    ).rejects.toSatisfy(
      (e) =>
        isBackupError(e, 'CONFIG_INVALID') &&
        (e as Error).message.includes(`peers that are not configured: ${cluster[1]!.peer.peerId}`),
    );
  });

  it('fails the job when a node is unreachable, without a manifest', async () => {
    const nodes = await startQdrantCluster(2, { validator });
    await seedPlainCollection(nodes[0]!.url, 'runbooks', 20);
    const engine = createQdrantEngine({ nodes: nodes.map((n) => n.url), retries: 1, retryDelayMs: 5 });
    for (const node of nodes) expect(node.violations).toEqual([]);
    await nodes[1]!.stop();
    await expect(
      runBackup({ job: 'down', engine, storage, compression: { algorithm: 'none' } }),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'SOURCE_FAILED') && /ECONNREFUSED/.test((e as Error).message),
    );
    expect(await new Catalog(storage).listBackups('down')).toEqual([]);
    await nodes[0]!.stop();
  });
});
