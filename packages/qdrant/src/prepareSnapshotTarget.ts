import type { EngineContext } from '@backup/core';
import { ensureTargetEmpty } from './ensureTargetEmpty.js';
import type { QdrantConnection } from './QdrantConnection.js';

/** What the snapshot being restored was made from (vectors config and shard number at backup). */
export interface SnapshotShape {
  /** `params.vectors` of the collection (`VectorsConfig`). */
  vectors: unknown;
  /** `params.shard_number`. */
  shardNumber: unknown;
}

/**
 * Gets a target collection ready for a snapshot recovery. Refuses one that holds points unless
 * `replace` (`ensureTargetEmpty`: `TARGET_NOT_EMPTY`). Qdrant recovers INTO an existing collection
 * only when its vectors config and shard number equal the snapshot's (it keeps its own config and
 * aliases and replaces the shards; otherwise 400 "Snapshot is not compatible with existing
 * collection", `lib/storage/src/content_manager/snapshots/recover.rs`). So an existing collection
 * (empty, or replaceable) whose shape differs is deleted first (`delete_collection`) and the snapshot
 * recreates it. Returns whether it existed and whether it was deleted.
 *
 * @throws BackupError `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `ABORTED`.
 */
export async function prepareSnapshotTarget(
  conn: QdrantConnection,
  collection: string,
  shape: SnapshotShape,
  replace: boolean,
  ctx: EngineContext,
): Promise<{ exists: boolean; deleted: boolean }> {
  const target = await ensureTargetEmpty(conn, collection, replace, ctx);
  if (!target.exists) return { exists: false, deleted: false };
  const base = { signal: ctx.signal, logger: ctx.logger, code: 'RESTORE_FAILED' as const };
  const info = await conn.call((c) => c.getCollection(collection), {
    ...base,
    retry: true,
    what: `Reading collection ${collection} (GET /collections/{c})`,
  });
  const compatible =
    canonicalJson(info.config.params.vectors ?? {}) === canonicalJson(shape.vectors ?? {}) &&
    Number(info.config.params.shard_number ?? 1) === Number(shape.shardNumber ?? 1);
  if (compatible) return { exists: true, deleted: false };
  ctx.logger.warn(
    { node: conn.label, collection },
    'the target collection has another vectors config or shard number than the snapshot: deleting it so the snapshot recreates it',
  );
  await conn.call((c) => c.deleteCollection(collection), {
    ...base,
    retry: true,
    what: `Deleting collection ${collection} (incompatible with the snapshot)`,
  });
  return { exists: true, deleted: true };
}

/** JSON with object keys sorted, numbers and bigints as decimal text: a stable comparison key. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
