import type { Readable } from 'node:stream';
import {
  type ArtifactRecord,
  BackupError,
  type EngineContext,
  type RestoreResult,
  type UnitRecord,
} from '@backup/core';
import { prepareSnapshotTarget } from './prepareSnapshotTarget.js';
import type { QdrantConnection } from './QdrantConnection.js';
import { uploadSnapshot } from './uploadSnapshot.js';

/** Input of {@link restoreCollectionSnapshot}. */
export interface CollectionSnapshotRestoreInput {
  unit: UnitRecord;
  /** The unit's snapshot artifacts, with the node each one goes to (`resolvePeerTargets`). */
  placements: Map<ArtifactRecord, QdrantConnection>;
  /** Node used for the emptiness check and the final count. */
  primary: QdrantConnection;
  /** Target collection name. */
  collection: string;
  replace: boolean;
  method: 'upload' | 'recover-url';
  /** URL Qdrant downloads the artifact from (`recover-url`), per artifact. */
  locate?: ((artifact: ArtifactRecord) => Promise<string>) | undefined;
  open(artifact: ArtifactRecord): Promise<Readable>;
}

/**
 * Restores a collection from its snapshot artifact(s), one per node in distributed backups:
 * prepares the target (`prepareSnapshotTarget`: `TARGET_NOT_EMPTY` for a collection holding points
 * unless `replace`; an incompatible existing collection is deleted first), then for each
 * artifact either uploads it (`uploadSnapshot`: multipart field `snapshot`, `priority=snapshot`,
 * `checksum=<plaintextSha256>`) or, with `method: 'recover-url'`, makes Qdrant download it itself
 * (`recover_from_snapshot` `PUT /collections/{c}/snapshots/recover` `{location, priority:
 * "snapshot", checksum}`; the artifact must be stored uncompressed and unencrypted so the stored
 * bytes ARE the snapshot). Result metadata: `method`, `pointsCount` (exact, after restore),
 * `expectedPointsCount` (approximate, at backup), `replaced`, `recreated`, `nodes`.
 *
 * @throws BackupError `TARGET_NOT_EMPTY`, `CONFIG_INVALID` (recover-url on a compressed/encrypted
 *   artifact or without a URL), `RESTORE_FAILED`, `CHECKSUM_MISMATCH`, `ABORTED`.
 */
export async function restoreCollectionSnapshot(
  input: CollectionSnapshotRestoreInput,
  ctx: EngineContext,
): Promise<RestoreResult> {
  const { collection, primary } = input;
  const target = await prepareSnapshotTarget(
    primary,
    collection,
    { vectors: input.unit.metadata['vectors'], shardNumber: input.unit.metadata['shardNumber'] },
    input.replace,
    ctx,
  );
  const nodes: string[] = [];
  for (const [artifact, conn] of input.placements) {
    if (input.method === 'recover-url') {
      if (artifact.compression.algorithm !== 'none' || artifact.encryption !== null) {
        throw new BackupError(
          'CONFIG_INVALID',
          `method recover-url needs ${artifact.name} stored uncompressed and unencrypted (Qdrant downloads and ` +
            `checks the stored bytes); it is ${artifact.compression.algorithm}${artifact.encryption ? ' + age' : ''}: use method upload`,
        );
      }
      if (!input.locate) {
        throw new BackupError(
          'CONFIG_INVALID',
          'method recover-url needs presignedUrl or a presign callback',
        );
      }
      const location = await input.locate(artifact);
      await conn.call(
        (c) =>
          c.recoverSnapshot(collection, { location, priority: 'snapshot', checksum: artifact.storedSha256 }),
        {
          what: `Recovering collection ${collection} from the URL of ${artifact.name} (PUT /collections/{c}/snapshots/recover)`,
          signal: ctx.signal,
          logger: ctx.logger,
          slow: true,
          code: 'RESTORE_FAILED',
        },
      );
    } else {
      const source = await input.open(artifact);
      await uploadSnapshot(
        conn,
        {
          collection,
          source,
          size: artifact.plaintextBytes,
          checksum: artifact.plaintextSha256,
          filename:
            typeof artifact.metadata['snapshotName'] === 'string'
              ? artifact.metadata['snapshotName']
              : artifact.name,
        },
        ctx,
      );
    }
    nodes.push(conn.label);
  }
  const { count } = await primary.call((c) => c.count(collection, { exact: true }), {
    what: `Counting the points of collection ${collection}`,
    signal: ctx.signal,
    logger: ctx.logger,
    retry: true,
    code: 'RESTORE_FAILED',
  });
  return {
    unit: input.unit.name,
    target: `${primary.label}/collections/${collection}`,
    metadata: {
      method: input.method,
      pointsCount: count,
      expectedPointsCount: input.unit.metadata['pointsCount'] ?? null,
      replaced: target.exists,
      recreated: target.deleted,
      nodes,
    },
  };
}
