import {
  type ArtifactInput,
  type ArtifactRecord,
  type ArtifactSink,
  BackupError,
  type EngineContext,
} from '@backup/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { openSnapshotDownload } from './openSnapshotDownload.js';
import type { QdrantConnection } from './QdrantConnection.js';
import { SnapshotStreamGuard, type SnapshotStreamGuardOptions } from './SnapshotStreamGuard.js';

/** Input of {@link writeSnapshotArtifact}. */
export interface SnapshotArtifactInput {
  /** Download path: `/collections/{c}/snapshots/{name}` or `/snapshots/{name}`. */
  path: string;
  /** What Qdrant answered when it created the snapshot (name, size, checksum). */
  description: Schemas['SnapshotDescription'];
  /** Artifact name, unit, media type and metadata; the source is the download. */
  artifact: Omit<ArtifactInput, 'source'>;
  /** Optional tap on the bytes (full snapshots: hash the inner collection snapshots). */
  observer?: SnapshotStreamGuardOptions['observer'];
}

/**
 * Streams one server-side snapshot file into the backup set: fetch body -> Node stream ->
 * {@link SnapshotStreamGuard} (our sha256 and byte count, stall detection) -> `sink.write` (which
 * compresses, encrypts, hashes and uploads). No temporary file, nothing buffered beyond the streams'
 * high-water marks.
 *
 * Checksum policy (docs/qdrant.md): the guard compares OUR sha256 of the downloaded bytes with the
 * `checksum` Qdrant reported, at the end of the stream and BEFORE the storage upload completes, so
 * a mismatch aborts the upload (nothing stored) and the job fails before its manifest. After the
 * write, the pipeline's `plaintextSha256` is compared too (it must equal ours).
 *
 * @throws BackupError `CHECKSUM_MISMATCH` (digest differs from Qdrant's checksum), `SOURCE_FAILED`
 *   (HTTP error, connection cut, fewer/more bytes than reported, stall), `STORAGE_UNREACHABLE`,
 *   `ABORTED`.
 */
export async function writeSnapshotArtifact(
  conn: QdrantConnection,
  sink: ArtifactSink,
  input: SnapshotArtifactInput,
  ctx: EngineContext,
): Promise<ArtifactRecord> {
  const { description } = input;
  const what = `Snapshot ${description.name}`;
  const download = await openSnapshotDownload(conn, input.path, {
    what,
    signal: ctx.signal,
    logger: ctx.logger,
  });
  const reported = description.size;
  if (download.contentLength !== undefined && download.contentLength !== reported) {
    download.body.destroy();
    throw new BackupError(
      'SOURCE_FAILED',
      `${what} from ${conn.label}: Content-Length ${download.contentLength} differs from the size ${reported} Qdrant reported`,
    );
  }
  const expectedSha256 = typeof description.checksum === 'string' ? description.checksum : undefined;
  if (expectedSha256 === undefined) {
    ctx.logger.warn(
      { snapshot: description.name, node: conn.label },
      'Qdrant reported no checksum for this snapshot (no .checksum sidecar); only its size is checked',
    );
  }
  const guard = new SnapshotStreamGuard({
    what: `${what} from ${conn.label}`,
    expectedSha256,
    expectedBytes: reported,
    stallTimeoutMs: conn.timeoutMs,
    onStall: (error) => download.abort(error),
    observer: input.observer,
  });
  const { body } = download;
  body.on('error', (error: Error) => {
    guard.destroy(
      error instanceof BackupError
        ? error
        : new BackupError(
            'SOURCE_FAILED',
            `${what} from ${conn.label} failed after ${guard.bytes} of ${reported} bytes: ${describe(error)}`,
            { cause: error },
          ),
    );
  });
  guard.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(guard);
  const record = await sink.write({ ...input.artifact, source: guard });
  if (guard.sha256 !== undefined && record.plaintextSha256 !== guard.sha256) {
    throw new BackupError(
      'CHECKSUM_MISMATCH',
      `${what}: the pipeline hashed ${record.plaintextSha256}, the download guard ${guard.sha256}`,
    );
  }
  return record;
}

function describe(error: Error): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
