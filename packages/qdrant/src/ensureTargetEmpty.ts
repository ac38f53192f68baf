import { BackupError, type EngineContext } from '@backup/core';
import type { QdrantConnection } from './QdrantConnection.js';

/**
 * Refuses to restore over a collection that holds points: checks `collection_exists`
 * (`GET /collections/{c}/exists`) and, when it exists, its exact count (`count_points`
 * `POST /collections/{c}/points/count` `{exact: true}`). Returns whether it exists and its count.
 *
 * @throws BackupError `TARGET_NOT_EMPTY` when it holds points and `replace` is false;
 *   `RESTORE_FAILED` when the target cannot be read.
 */
export async function ensureTargetEmpty(
  conn: QdrantConnection,
  collection: string,
  replace: boolean,
  ctx: EngineContext,
): Promise<{ exists: boolean; points: number }> {
  const base = { signal: ctx.signal, logger: ctx.logger, retry: true, code: 'RESTORE_FAILED' as const };
  const { exists } = await conn.call((c) => c.collectionExists(collection), {
    ...base,
    what: `Checking whether collection ${collection} exists`,
  });
  if (!exists) return { exists: false, points: 0 };
  const { count } = await conn.call((c) => c.count(collection, { exact: true }), {
    ...base,
    what: `Counting the points of collection ${collection}`,
  });
  if (count > 0 && !replace) {
    throw new BackupError(
      'TARGET_NOT_EMPTY',
      `Collection ${collection} on ${conn.label} holds ${count} points; restore into another name (into) ` +
        'or allow replacing it (replace: true, CLI --replace)',
      { details: { collection, points: count } },
    );
  }
  return { exists: true, points: count };
}
