import { type Duplex, PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError, toBackupError } from '../errors.js';
import type { StorageBackend } from '../storage/StorageBackend.js';
import { collectGarbageEvery } from './collectGarbageEvery.js';
import { type CompressionSettings, createCompressStream } from './compression.js';
import { DigestStream } from './DigestStream.js';
import type { ArtifactEncryptor } from './encryption.js';

/** Options of {@link writeArtifact}. */
export interface WriteArtifactOptions {
  /** Compression; resolve defaults first with `resolveCompression`. */
  compression: CompressionSettings;
  /** Encrypts after compressing when set. */
  encryptor?: ArtifactEncryptor | undefined;
  /** Cancels the write: the source is destroyed and the upload aborted. */
  signal?: AbortSignal | undefined;
  /** Called with plaintext bytes read from the source so far. */
  onProgress?: ((plaintextBytes: number) => void) | undefined;
  /** MIME type passed to the backend. */
  contentType?: string | undefined;
}

/** Sizes and digests of one written artifact, recorded in the manifest. */
export interface ArtifactDigests {
  /** Bytes produced by the source (before compression). */
  plaintextBytes: number;
  /** sha256 (hex) of the source bytes. */
  plaintextSha256: string;
  /** Bytes stored (after compression and encryption). */
  storedBytes: number;
  /** sha256 (hex) of the stored bytes. */
  storedSha256: string;
}

/**
 * Streams `source` -> sha256/count (plaintext) -> compress -> encrypt -> sha256/count (stored) ->
 * `storage.put(key)`. No temporary files: memory is bounded by the streams' high-water marks and
 * the backend's part size x queue size. If any stage fails (the source errors or ends with a
 * non-zero exit, the backend rejects, the signal fires), every stage is destroyed, the upload is
 * aborted, and the first error is thrown: `SOURCE_FAILED`, `STORAGE_UNREACHABLE` or `ABORTED`.
 */
export async function writeArtifact(
  storage: StorageBackend,
  key: string,
  source: Readable,
  options: WriteArtifactOptions,
): Promise<ArtifactDigests> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const collectGarbage = collectGarbageEvery();
  const { onProgress } = options;
  const plain = new DigestStream({
    onBytes: (bytes) => {
      collectGarbage(bytes);
      onProgress?.(bytes);
    },
  });
  const stages: Duplex[] = [plain];
  const compress = createCompressStream(options.compression);
  if (compress) stages.push(compress);
  if (options.encryptor) stages.push(options.encryptor.createEncryptStream());
  // Without compression and encryption the stored bytes are the plaintext: one digest serves both
  // (a second sha256 pass cost ~0.5 CPU-s per GB for nothing).
  const stored = stages.length === 1 ? plain : new DigestStream();
  if (stored !== plain) stages.push(stored);
  const body = new PassThrough({ highWaterMark: 1 << 20 });

  let firstError: unknown;
  const fail = (error: unknown) => {
    firstError ??= error;
    if (!controller.signal.aborted) controller.abort(error);
  };
  const feeding = pipeline([source, ...stages, body], { signal: controller.signal }).catch((error) => {
    fail(toBackupError(error, 'SOURCE_FAILED', `Reading the source of ${key} failed`));
  });
  const putOptions: { signal: AbortSignal; contentType?: string } = { signal: controller.signal };
  if (options.contentType) putOptions.contentType = options.contentType;
  const storing = storage.put(key, body, putOptions).catch((error) => {
    body.destroy();
    fail(error);
  });
  try {
    await Promise.all([feeding, storing]);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (firstError !== undefined) {
    if (options.signal?.aborted) {
      throw new BackupError('ABORTED', `Writing ${key} was aborted`, { cause: firstError });
    }
    throw firstError instanceof BackupError
      ? firstError
      : toBackupError(firstError, 'STORAGE_UNREACHABLE', `Storing ${key} failed`);
  }
  return {
    plaintextBytes: plain.bytes,
    plaintextSha256: plain.sha256!,
    storedBytes: stored.bytes,
    storedSha256: stored.sha256!,
  };
}
