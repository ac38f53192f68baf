import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type ArtifactDecryptor,
  type ArtifactRecord,
  BackupError,
  isBackupError,
  type Logger,
  readArtifact,
  type StorageBackend,
  silentLogger,
  toBackupError,
} from '@backup/core';
import { readWalSidecar } from './readWalSidecar.js';
import { requireWalFile } from './walFileKind.js';
import { walSidecarKey } from './walKeys.js';

/** Options of {@link fetchWalFile}. */
export interface FetchWalFileOptions {
  storage: StorageBackend;
  /** Job whose archive to read (`<job>/wal/`). */
  job: string;
  /** WAL file name (`%f`). */
  name: string;
  /** Where to write it (`%p`, relative to the data directory, the startup process's working directory). */
  destination: string;
  /** Needed for encrypted archives (`DECRYPT_FAILED` without). */
  decryptor?: ArtifactDecryptor | undefined;
  logger?: Logger | undefined;
  /**
   * Attempts for storage errors (`STORAGE_UNREACHABLE`) before failing; default 3 (waits 0.5 s,
   * 1 s). Ignored when `retryForMs` is set.
   */
  attempts?: number | undefined;
  /**
   * Keep retrying storage errors (`STORAGE_UNREACHABLE`) for this many milliseconds (>= 0), with
   * waits doubling from 0.5 s up to 10 s, the last one cut to end at the deadline; then fail with
   * the last error. For `restore_command`, where a storage that is down for a moment must not look
   * like the end of the archive (see the CLI's `wal-fetch --retry-seconds`).
   */
  retryForMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Outcome of {@link fetchWalFile}: `missing` means the archive does not have the file. */
export type FetchWalFileResult =
  | { status: 'restored'; name: string; key: string; bytes: number }
  | { status: 'missing'; name: string };

/**
 * Restores one archived WAL file for `restore_command` (protocols.md 6.1): reads its sidecar, streams
 * the data object through decryption and decompression with size and sha256 checks of both the
 * stored and the plaintext bytes (`readArtifact`), writes a temporary file next to `destination`,
 * and renames it into place only when every check passed, so PostgreSQL never reads a partial or
 * corrupt file. A file whose sidecar is missing (never archived, or a push that did not commit) is
 * `missing`: PostgreSQL asks for files that do not exist (the next timeline's history file, the
 * segment after the end of the archive) and must be told so with a non-zero exit below 126.
 * Storage errors are retried (`attempts`, or for `retryForMs`).
 *
 * @throws BackupError `CONFIG_INVALID` (not a WAL file name), `CHECKSUM_MISMATCH`, `DECRYPT_FAILED`,
 *   `MANIFEST_INVALID` (bad sidecar), `STORAGE_UNREACHABLE`, `RESTORE_FAILED` (cannot write
 *   `destination`), `ABORTED`.
 */
export async function fetchWalFile(options: FetchWalFileOptions): Promise<FetchWalFileResult> {
  const file = requireWalFile(options.name);
  const logger = options.logger ?? silentLogger;
  const attempts = Math.max(1, options.attempts ?? 3);
  const { retryForMs } = options;
  if (retryForMs !== undefined && !(Number.isFinite(retryForMs) && retryForMs >= 0)) {
    throw new BackupError('CONFIG_INVALID', `retryForMs must be a number >= 0, got ${String(retryForMs)}`, {
      details: { field: 'retryForMs' },
    });
  }
  const deadline = retryForMs === undefined ? undefined : Date.now() + retryForMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(options, file.name, walSidecarKey(options.job, file), logger);
    } catch (error) {
      if (!isBackupError(error, 'STORAGE_UNREACHABLE') || options.signal?.aborted) throw error;
      let wait: number;
      if (deadline === undefined) {
        if (attempt >= attempts) throw error;
        wait = 500 * attempt;
      } else {
        const left = deadline - Date.now();
        if (left <= 0) throw error;
        wait = Math.min(left, 10_000, 500 * 2 ** Math.min(attempt - 1, 5));
      }
      logger.warn(
        { name: file.name, attempt, waitMs: wait, err: error },
        'fetching a WAL file failed; retrying',
      );
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function fetchOnce(
  options: FetchWalFileOptions,
  name: string,
  sidecarKey: string,
  logger: Logger,
): Promise<FetchWalFileResult> {
  const sidecar = await readWalSidecar(options.storage, sidecarKey);
  if (!sidecar) return { status: 'missing', name };
  if (sidecar.name !== name) {
    throw new BackupError('MANIFEST_INVALID', `${sidecarKey} describes ${sidecar.name}, not ${name}`);
  }
  const record: ArtifactRecord = {
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
  };
  let plaintext: AsyncIterable<Buffer>;
  try {
    plaintext = await readArtifact(options.storage, record, {
      decryptor: options.decryptor,
      signal: options.signal,
    });
  } catch (error) {
    if (isBackupError(error, 'NOT_FOUND')) {
      throw new BackupError('CHECKSUM_MISMATCH', `${sidecarKey} names ${sidecar.key}, which is missing`, {
        cause: error,
      });
    }
    throw error;
  }
  const temp = join(
    dirname(options.destination),
    `.${basename(options.destination)}.tmp-${randomBytes(4).toString('hex')}`,
  );
  const out = await open(temp, 'wx', 0o600).catch((error: unknown) => {
    throw toBackupError(error, 'RESTORE_FAILED', `Cannot write ${options.destination}`);
  });
  let bytes = 0;
  try {
    for await (const chunk of plaintext) {
      await out.write(chunk);
      bytes += chunk.length;
    }
    await out.close();
    await rename(temp, options.destination);
  } catch (error) {
    await out.close().catch(() => {});
    await rm(temp, { force: true });
    if (isBackupError(error)) throw error;
    throw toBackupError(error, 'RESTORE_FAILED', `Writing ${options.destination} failed`);
  }
  logger.info({ name, key: sidecar.key, bytes }, 'WAL file restored');
  return { status: 'restored', name, key: sidecar.key, bytes };
}
