import { type ArtifactRecord, type ArtifactSink, BackupError, type EngineContext } from '@backup/core';
import { snapshotArtifactName } from './artifactNames.js';
import { deleteServerSnapshot } from './deleteServerSnapshot.js';
import type { QdrantNodeInfo } from './inspectNodes.js';
import { QDRANT_SNAPSHOT_MEDIA_TYPE } from './mediaTypes.js';
import type { QdrantConnection } from './QdrantConnection.js';
import { writeSnapshotArtifact } from './writeSnapshotArtifact.js';

/** What {@link backupCollectionSnapshot} did, recorded in the unit's manifest metadata. */
export interface CollectionSnapshotFacts {
  /** Node URL and, in distributed mode, its peer id. */
  node: string;
  peerId?: string | undefined;
  /** Server-side snapshot name, e.g. `runbooks-4411-2026-01-21-02-30-00.snapshot`. */
  snapshot: string;
  /** Size in bytes and Qdrant's sha256 (`null` when it reported none). */
  bytes: number;
  checksum: string | null;
  /** Whether the server-side snapshot was deleted afterwards. */
  serverSnapshotDeleted: boolean;
}

/**
 * Backs up one collection from one node: `create_snapshot`
 * `POST /collections/{c}/snapshots?wait=true` (timeout `snapshotTimeoutMs`, never retried: a retry
 * could leave a second snapshot), then streams the file into artifact `<collection>.snapshot`
 * (`<collection>.peer-<id>.snapshot` when `distributed`) with the checksum check of
 * `writeSnapshotArtifact`, then deletes the server-side snapshot when `deleteServerSnapshots`
 * (also after a failure, and after a cancellation, even one that came while Qdrant was still
 * creating it). Artifact metadata: `kind: 'collection-snapshot'`, `collection`, `node`,
 * `peerId`, `snapshotName`, `qdrantChecksum`, `size`, `creationTime`, `qdrantVersion`.
 *
 * @throws BackupError `SOURCE_FAILED`, `CHECKSUM_MISMATCH`, `STORAGE_UNREACHABLE`, `ABORTED`.
 */
export async function backupCollectionSnapshot(
  conn: QdrantConnection,
  node: QdrantNodeInfo,
  input: { collection: string; unit: string; distributed: boolean; deleteServerSnapshots: boolean },
  sink: ArtifactSink,
  ctx: EngineContext,
): Promise<{ record: ArtifactRecord; facts: CollectionSnapshotFacts }> {
  const { collection } = input;
  const base = `/collections/${encodeURIComponent(collection)}/snapshots`;
  const description = await conn.call((c) => c.createSnapshot(collection, { wait: true }), {
    what: `Creating a snapshot of collection ${collection} (POST ${base}?wait=true)`,
    signal: ctx.signal,
    logger: ctx.logger,
    slow: true,
    // Cancelled while Qdrant was still writing it: delete the snapshot once it exists.
    onLate: (late) => {
      if (late && input.deleteServerSnapshots) void deleteServerSnapshot(conn, collection, late.name, ctx);
    },
  });
  if (!description) {
    throw new BackupError(
      'SOURCE_FAILED',
      `Qdrant on ${conn.label} accepted the snapshot of ${collection} without describing it`,
    );
  }
  ctx.logger.debug(
    { node: conn.label, collection, snapshot: description.name, size: description.size },
    'snapshot created',
  );
  const peerId = input.distributed ? node.peerId : undefined;
  let deleted = false;
  try {
    const record = await writeSnapshotArtifact(
      conn,
      sink,
      {
        path: `${base}/${encodeURIComponent(description.name)}`,
        description,
        artifact: {
          name: snapshotArtifactName(collection, peerId),
          unit: input.unit,
          mediaType: QDRANT_SNAPSHOT_MEDIA_TYPE,
          metadata: {
            kind: 'collection-snapshot',
            collection,
            node: conn.label,
            ...(node.peerId === undefined ? {} : { peerId: node.peerId }),
            snapshotName: description.name,
            qdrantChecksum: description.checksum ?? null,
            size: description.size,
            creationTime: description.creation_time ?? null,
            qdrantVersion: node.version,
          },
        },
      },
      ctx,
    );
    if (input.deleteServerSnapshots)
      deleted = await deleteServerSnapshot(conn, collection, description.name, ctx);
    return {
      record,
      facts: {
        node: conn.label,
        ...(node.peerId === undefined ? {} : { peerId: node.peerId }),
        snapshot: description.name,
        bytes: description.size,
        checksum: description.checksum ?? null,
        serverSnapshotDeleted: deleted,
      },
    };
  } catch (error) {
    if (input.deleteServerSnapshots) await deleteServerSnapshot(conn, collection, description.name, ctx);
    throw error;
  }
}
