import type { EngineContext } from '@backup/core';
import type { QdrantConnection } from '@backup/qdrant';

/** A collection of a Qdrant target: whether it exists and its exact points count. */
export interface CollectionState {
  collection: string;
  exists: boolean;
  /** Exact count (`count_points` with `exact: true`); 0 when absent. */
  points: number;
}

/**
 * Reads one collection of a target, changing nothing: `collection_exists`
 * (`GET /collections/{c}/exists`), then the exact points count (`POST /collections/{c}/points/count`
 * `{exact: true}`, the whole collection over every shard). Requests are retried on transient errors.
 *
 * @throws BackupError `RESTORE_FAILED` naming the node when it cannot be read.
 */
export async function inspectCollection(
  conn: QdrantConnection,
  collection: string,
  ctx: EngineContext,
): Promise<CollectionState> {
  const base = { signal: ctx.signal, logger: ctx.logger, retry: true, code: 'RESTORE_FAILED' as const };
  const { exists } = await conn.call((c) => c.collectionExists(collection), {
    ...base,
    what: `Checking whether collection ${collection} exists`,
  });
  if (!exists) return { collection, exists: false, points: 0 };
  const { count } = await conn.call((c) => c.count(collection, { exact: true }), {
    ...base,
    what: `Counting the points of collection ${collection}`,
  });
  return { collection, exists: true, points: count };
}
