import { type ArtifactDecryptor, BackupError, type Catalog, type Manifest } from '@backup/core';

/** Input of {@link verifyArtifacts}. */
export interface VerifyArtifactsInput {
  catalog: Catalog;
  manifest: Manifest;
  /** Names of the artifacts to check. */
  artifacts: readonly string[];
  decryptor?: ArtifactDecryptor | undefined;
  signal?: AbortSignal | undefined;
  /** Stored bytes read so far of one artifact. */
  onProgress?: ((artifact: string, storedBytes: number) => void) | undefined;
}

/**
 * The download-and-verify-first pass: reads every artifact to its end through the whole read
 * pipeline (stored size and sha256, decryption, decompression, plaintext size and sha256), writing
 * nothing anywhere, so a corrupt, truncated or undecryptable artifact stops the restore before the
 * target is touched. Throws the first failure (`CHECKSUM_MISMATCH`, `DECRYPT_FAILED`, `NOT_FOUND`,
 * `ABORTED`), its message saying the target was not touched.
 */
export async function verifyArtifacts(input: VerifyArtifactsInput): Promise<void> {
  for (const name of input.artifacts) {
    try {
      const plaintext = await input.catalog.openArtifact(input.manifest, name, {
        decryptor: input.decryptor,
        signal: input.signal,
        onProgress: input.onProgress ? (n) => input.onProgress?.(name, n) : undefined,
      });
      for await (const _ of plaintext) {
        /* drain: the digest stages check size and sha256 at the end */
      }
    } catch (error) {
      if (error instanceof BackupError && error.code !== 'ABORTED') {
        throw new BackupError(
          error.code,
          `${error.message}\nArtifact ${name} failed the check before the restore: the target was not touched`,
          { cause: error.cause ?? error, details: { ...error.details, artifact: name } },
        );
      }
      throw error;
    }
  }
}
