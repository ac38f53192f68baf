import { type ArtifactRecord, type ArtifactSink, BackupError, type EngineContext } from '@backup/core';
import { FULL_SNAPSHOT_ARTIFACT } from './artifactNames.js';
import { checkFullSnapshot, type FullSnapshotCollection } from './checkFullSnapshot.js';
import { createTarWalker } from './createTarWalker.js';
import { deleteServerSnapshot } from './deleteServerSnapshot.js';
import { emptyFullSnapshotInspection, fullSnapshotEntryHandler } from './inspectFullSnapshot.js';
import type { QdrantNodeInfo } from './inspectNodes.js';
import { QDRANT_SNAPSHOT_MEDIA_TYPE } from './mediaTypes.js';
import type { QdrantConnection } from './QdrantConnection.js';
import { writeSnapshotArtifact } from './writeSnapshotArtifact.js';

/** Unit facts of a full snapshot backup, used by its restore. */
export interface FullSnapshotFacts {
  /** Collection -> its snapshot file inside `storage.snapshot`, with sha256 and size. */
  collections: Record<string, FullSnapshotCollection>;
  /** Alias -> collection, from the snapshot's `config.json` `collections_aliases`. */
  aliases: Record<string, string>;
  /** Server-side snapshot name and whether it was deleted afterwards. */
  snapshot: string;
  serverSnapshotDeleted: boolean;
}

/**
 * Backs up the whole storage of a single node: `create_full_snapshot` `POST /snapshots?wait=true`,
 * then streams it into artifact `storage.snapshot` (checksum checked by `writeSnapshotArtifact`)
 * while a nested tar parser reads it on the fly: it hashes every inner collection snapshot and reads
 * `config.json` (`collections_mapping`, `collections_aliases`, protocols.md §1.2). A full snapshot
 * that does not pass `checkFullSnapshot` fails the backup (`VERIFY_FAILED`, nothing committed).
 * Then `delete_full_snapshot` when `deleteServerSnapshots`. Only for single-node deployments (Qdrant
 * docs); the engine refuses it for clusters.
 *
 * @throws BackupError `SOURCE_FAILED`, `CHECKSUM_MISMATCH`, `VERIFY_FAILED`, `STORAGE_UNREACHABLE`,
 *   `ABORTED`.
 */
export async function backupFullSnapshot(
  conn: QdrantConnection,
  node: QdrantNodeInfo,
  input: { unit: string; deleteServerSnapshots: boolean },
  sink: ArtifactSink,
  ctx: EngineContext,
): Promise<{ record: ArtifactRecord; facts: FullSnapshotFacts }> {
  const description = await conn.call((c) => c.createFullSnapshot({ wait: true }), {
    what: 'Creating a full storage snapshot (POST /snapshots?wait=true)',
    signal: ctx.signal,
    logger: ctx.logger,
    slow: true,
    onLate: (late) => {
      if (late && input.deleteServerSnapshots) void deleteServerSnapshot(conn, undefined, late.name, ctx);
    },
  });
  if (!description) {
    throw new BackupError(
      'SOURCE_FAILED',
      `Qdrant on ${conn.label} accepted the full snapshot without describing it`,
    );
  }
  const inspection = emptyFullSnapshotInspection();
  const walker = createTarWalker(fullSnapshotEntryHandler(inspection));
  try {
    const record = await writeSnapshotArtifact(
      conn,
      sink,
      {
        path: `/snapshots/${encodeURIComponent(description.name)}`,
        description,
        artifact: {
          name: FULL_SNAPSHOT_ARTIFACT,
          unit: input.unit,
          mediaType: QDRANT_SNAPSHOT_MEDIA_TYPE,
          metadata: {
            kind: 'full-snapshot',
            node: conn.label,
            snapshotName: description.name,
            qdrantChecksum: description.checksum ?? null,
            size: description.size,
            creationTime: description.creation_time ?? null,
            qdrantVersion: node.version,
          },
        },
        observer: { write: (chunk) => walker.write(chunk), end: () => walker.end() },
      },
      ctx,
    );
    const checked = checkFullSnapshot(inspection, `${FULL_SNAPSHOT_ARTIFACT} (${description.name})`);
    const deleted = input.deleteServerSnapshots
      ? await deleteServerSnapshot(conn, undefined, description.name, ctx)
      : false;
    return { record, facts: { ...checked, snapshot: description.name, serverSnapshotDeleted: deleted } };
  } catch (error) {
    walker.destroy(error instanceof Error ? error : new Error(String(error)));
    if (input.deleteServerSnapshots) await deleteServerSnapshot(conn, undefined, description.name, ctx);
    throw error;
  }
}
