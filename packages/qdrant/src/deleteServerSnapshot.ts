import { type EngineContext, isBackupError } from '@backup/core';
import type { QdrantConnection } from './QdrantConnection.js';

/**
 * Deletes a server-side snapshot after it was downloaded, so snapshots do not pile up on the Qdrant
 * volume: `delete_snapshot` `DELETE /collections/{c}/snapshots/{name}?wait=true` (or
 * `delete_full_snapshot` `DELETE /snapshots/{name}` when `collection` is undefined). Retried on
 * transient errors; a 404 counts as deleted. It runs even after `ctx.signal` fired (a cancelled
 * backup still cleans up), within min(`timeoutMs`, 30 s) and without retries then. Never throws: returns `false` and logs a warning, so a
 * failed cleanup never fails (or masks the error of) the backup.
 */
export async function deleteServerSnapshot(
  conn: QdrantConnection,
  collection: string | undefined,
  name: string,
  ctx: EngineContext,
): Promise<boolean> {
  try {
    await conn.call(
      (c) =>
        collection === undefined
          ? c.deleteFullSnapshot(name, { wait: true })
          : c.deleteSnapshot(collection, name, { wait: true }),
      {
        what: `Deleting server snapshot ${name}`,
        // Cleanup also runs after a cancellation (SIGTERM): its own short deadline, no retries then.
        signal: AbortSignal.timeout(Math.min(conn.timeoutMs, 30_000)),
        logger: ctx.logger,
        retry: !ctx.signal.aborted,
      },
    );
    return true;
  } catch (error) {
    if (isBackupError(error) && error.details['status'] === 404) return true;
    ctx.logger.warn(
      { node: conn.label, snapshot: name, err: error },
      'could not delete the server-side snapshot; delete it by hand to free the Qdrant volume',
    );
    return false;
  }
}
