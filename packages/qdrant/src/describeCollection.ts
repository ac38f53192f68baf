import type { EngineContext } from '@backup/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { peerIdText } from './peerIdText.js';
import type { QdrantConnection } from './QdrantConnection.js';
import { toManifestValue } from './toManifestValue.js';

/** The shards one node holds for a collection (`collection_cluster_info` `GET /collections/{c}/cluster`). */
export interface CollectionNodeLayout {
  /** Node REST URL. */
  node: string;
  /** Peer id (decimal text). */
  peerId: string | undefined;
  /** Shards stored on this node. */
  localShards: { shardId: number; pointsCount: number; state: string; shardKey?: unknown }[];
  /** Shards stored on other peers, as this node sees them. */
  remoteShards: { shardId: number; peerId: string | undefined; state: string; shardKey?: unknown }[];
}

/**
 * Reads what the manifest records about a collection (unit metadata): `status`, `pointsCount`
 * (approximate, `CollectionInfo.points_count`), `vectors` (`params.vectors`: dense/multivector
 * params, unnamed or named), `sparseVectors`, `shardNumber`, `replicationFactor`,
 * `shardingMethod`, the whole `config` (`CollectionConfig`), `payloadSchema` (field -> type,
 * params, points) from `get_collection` `GET /collections/{c}` on the first node, and `layout`:
 * every node's local and remote shards (`collection_cluster_info`). Requests are retried on
 * transient errors. Values are plain JSON (big integers as strings).
 *
 * @throws BackupError `SOURCE_FAILED`, `ABORTED`.
 */
export async function describeCollection(
  conns: QdrantConnection[],
  collection: string,
  ctx: EngineContext,
): Promise<Record<string, unknown>> {
  const base = { signal: ctx.signal, logger: ctx.logger, retry: true };
  const info = await conns[0]!.call((c) => c.getCollection(collection), {
    ...base,
    what: `Reading collection ${collection} (GET /collections/{c})`,
  });
  const layout: CollectionNodeLayout[] = [];
  for (const conn of conns) {
    const cluster: Schemas['CollectionClusterInfo'] = await conn.call(
      (c) => c.collectionClusterInfo(collection),
      {
        ...base,
        what: `Reading the shard layout of collection ${collection} (GET /collections/{c}/cluster)`,
      },
    );
    layout.push({
      node: conn.label,
      peerId: peerIdText(cluster.peer_id),
      localShards: cluster.local_shards.map((s) => ({
        shardId: s.shard_id,
        pointsCount: s.points_count,
        state: s.state,
        ...(s.shard_key === undefined || s.shard_key === null ? {} : { shardKey: s.shard_key }),
      })),
      remoteShards: cluster.remote_shards.map((s) => ({
        shardId: s.shard_id,
        peerId: peerIdText(s.peer_id),
        state: s.state,
        ...(s.shard_key === undefined || s.shard_key === null ? {} : { shardKey: s.shard_key }),
      })),
    });
  }
  const params = info.config.params;
  return toManifestValue({
    status: info.status,
    pointsCount: info.points_count ?? null,
    vectors: params.vectors ?? {},
    sparseVectors: params.sparse_vectors ?? {},
    shardNumber: params.shard_number ?? 1,
    replicationFactor: params.replication_factor ?? 1,
    shardingMethod: params.sharding_method ?? 'auto',
    config: info.config,
    payloadSchema: info.payload_schema,
    layout,
  }) as Record<string, unknown>;
}
