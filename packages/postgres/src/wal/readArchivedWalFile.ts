import { buffer } from 'node:stream/consumers';
import { type ArtifactDecryptor, BackupError, readArtifact, type StorageBackend } from '@backup/core';
import { readWalSidecar } from './readWalSidecar.js';
import { requireWalFile } from './walFileKind.js';
import { walSidecarKey } from './walKeys.js';

/**
 * Reads one archived WAL file (a timeline history file, typically) into memory with the same
 * checks as `fetchWalFile` (stored and plaintext size and sha256); `undefined` when it is not
 * archived. For small files: the whole content is held in memory.
 * @throws BackupError `CONFIG_INVALID` (not a WAL file name), `CHECKSUM_MISMATCH`,
 *   `DECRYPT_FAILED`, `MANIFEST_INVALID`, `STORAGE_UNREACHABLE`.
 */
export async function readArchivedWalFile(
  storage: StorageBackend,
  job: string,
  name: string,
  decryptor?: ArtifactDecryptor,
): Promise<Buffer | undefined> {
  const file = requireWalFile(name);
  const sidecar = await readWalSidecar(storage, walSidecarKey(job, file));
  if (!sidecar) return undefined;
  if (sidecar.name !== name) {
    throw new BackupError('MANIFEST_INVALID', `The sidecar of ${name} describes ${sidecar.name}`);
  }
  const stream = await readArtifact(
    storage,
    {
      name,
      key: sidecar.key,
      unit: 'wal',
      mediaType: 'application/octet-stream',
      plaintextBytes: sidecar.plaintextBytes,
      storedBytes: sidecar.storedBytes,
      plaintextSha256: sidecar.plaintextSha256,
      storedSha256: sidecar.storedSha256,
      compression: sidecar.compression,
      encryption: sidecar.encryption,
      metadata: {},
    },
    { decryptor },
  );
  return buffer(stream);
}
