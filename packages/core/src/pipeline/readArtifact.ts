import { type Duplex, PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError, toBackupError } from '../errors.js';
import type { ArtifactRecord } from '../manifest/schema.js';
import type { StorageBackend } from '../storage/StorageBackend.js';
import { createDecompressStream } from './compression.js';
import { DigestStream } from './DigestStream.js';
import type { ArtifactDecryptor } from './encryption.js';

/** Options of {@link readArtifact}. */
export interface ReadArtifactOptions {
  /** Needed for encrypted artifacts; without it they fail with `DECRYPT_FAILED`. */
  decryptor?: ArtifactDecryptor | undefined;
  /** Cancels the read. */
  signal?: AbortSignal | undefined;
  /** Called with stored bytes read so far. */
  onProgress?: ((storedBytes: number) => void) | undefined;
  /** `plaintext` (default): decrypted and decompressed. `stored`: the bytes as stored, checked. */
  as?: 'plaintext' | 'stored';
}

/**
 * Opens an artifact for reading: storage -> sha256/size check of stored bytes -> decrypt ->
 * decompress -> sha256/size check of plaintext. The returned stream errors with
 * `CHECKSUM_MISMATCH` instead of ending when either check fails, `DECRYPT_FAILED` when the
 * artifact cannot be decrypted, `NOT_FOUND` (thrown) when the object is missing. Consume it with
 * `for await` or `stream.pipeline` (which see an error that happened before they started), not
 * with `.pipe()` alone.
 */
export async function readArtifact(
  storage: StorageBackend,
  artifact: ArtifactRecord,
  options: ReadArtifactOptions = {},
): Promise<Readable> {
  const getOptions: { signal?: AbortSignal } = {};
  if (options.signal) getOptions.signal = options.signal;
  const raw = await storage.get(artifact.key, getOptions);
  const stages: Duplex[] = [
    new DigestStream({
      expected: {
        bytes: artifact.storedBytes,
        sha256: artifact.storedSha256,
        label: `stored bytes of ${artifact.key}`,
      },
      ...(options.onProgress ? { onBytes: options.onProgress } : {}),
    }),
  ];
  if (options.as !== 'stored') {
    if (artifact.encryption) {
      if (!options.decryptor) {
        raw.destroy();
        throw new BackupError(
          'DECRYPT_FAILED',
          `${artifact.key} is encrypted (${artifact.encryption.format}); pass an identity with --identity FILE or BACKUP_AGE_IDENTITY`,
        );
      }
      stages.push(options.decryptor.createDecryptStream(artifact.encryption));
    }
    const decompress = createDecompressStream(artifact.compression.algorithm);
    if (decompress) stages.push(decompress);
  }
  // Without decryption and decompression the plaintext is the stored bytes, already checked above
  // when the manifest records the same digest for both (as writeArtifact does).
  const sameBytes =
    stages.length === 1 &&
    artifact.plaintextSha256 === artifact.storedSha256 &&
    artifact.plaintextBytes === artifact.storedBytes;
  if (options.as !== 'stored' && !sameBytes) {
    stages.push(
      new DigestStream({
        expected: {
          bytes: artifact.plaintextBytes,
          sha256: artifact.plaintextSha256,
          label: `plaintext of ${artifact.key}`,
        },
      }),
    );
  }
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  // A small artifact can be read, checked and FAIL before the consumer attaches (e.g. while it
  // spawns pg_restore). The error is kept in `out.errored` and surfaced by `for await`,
  // `stream.pipeline` and `finished` whenever the consumer starts; this listener only stops Node
  // from treating it as an unhandled 'error' event that would crash the process.
  out.on('error', () => {});
  pipeline([raw, ...stages], options.signal ? { signal: options.signal } : {})
    .then(
      () => undefined,
      (error: unknown) => error,
    )
    .then((error) => {
      if (error === undefined) return;
      out.destroy(
        toBackupError(
          error,
          'CHECKSUM_MISMATCH',
          `Reading ${artifact.key} failed (corrupt or truncated data)`,
        ),
      );
    });
  // Pipe the last stage into `out` separately so errors are translated before the consumer sees them.
  const last = stages[stages.length - 1]!;
  last.pipe(out, { end: false });
  last.once('end', () => out.end());
  // A consumer that stops early (a failed restore tool) releases the storage stream.
  out.once('close', () => {
    if (!raw.destroyed) raw.destroy();
  });
  return out;
}
