import { text } from 'node:stream/consumers';
import { BackupError, isBackupError, type StorageBackend } from '@backup/core';
import { type WalSidecar, walSidecarSchema } from './walSidecarSchema.js';

/**
 * Reads and validates the sidecar at `key` (`<job>/wal/<timeline>/<name>.json`); `undefined` when it
 * does not exist (the file was never archived, or its push did not commit).
 * @throws BackupError `MANIFEST_INVALID` for a sidecar that is not valid JSON of
 *   {@link walSidecarSchema}; `STORAGE_UNREACHABLE` from the backend.
 */
export async function readWalSidecar(storage: StorageBackend, key: string): Promise<WalSidecar | undefined> {
  let body: string;
  try {
    body = await text(await storage.get(key));
  } catch (error) {
    if (isBackupError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
  try {
    return walSidecarSchema.parse(JSON.parse(body));
  } catch (error) {
    throw new BackupError(
      'MANIFEST_INVALID',
      `${key} is not a valid WAL sidecar: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
