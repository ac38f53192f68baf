import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BackupError } from '@backup/core';
import { consumeArtifact } from './consumeArtifact.js';
import { RdbFormatError } from './RdbFormatError.js';
import { type RdbCheckResult, RdbStreamCheck } from './RdbStreamCheck.js';

/** Input of {@link writeRdbFile}. */
export interface WriteRdbFileInput {
  unit: string;
  /** Destination file, or an existing directory (then `fileName` inside it). */
  path: string;
  /** File name used inside a directory: `dump.rdb` or `master-<host>-<port>.rdb`. */
  fileName: string;
  /** Overwrite an existing file. */
  replace: boolean;
  open(): Promise<Readable>;
}

/**
 * The first step of the file-placement restore (docs/redis.md): writes an RDB artifact's verified,
 * decrypted, decompressed plaintext to a file, for a stopped server to load as `dump.rdb` (the way
 * FalkorDB and any module data come back). The bytes go to `<file>.partial` and are renamed into
 * place (after fsync) only when the artifact's checksums and the RDB's own magic, version and
 * CRC64 all passed, so a failed restore never leaves a file that looks complete.
 *
 * @returns the file written, its size, RDB version and checksum status.
 * @throws BackupError `TARGET_NOT_EMPTY` when the file exists and `replace` is false;
 *   `RESTORE_FAILED` for an invalid RDB or a write error; the stream's error (`CHECKSUM_MISMATCH`...).
 */
export async function writeRdbFile(input: WriteRdbFileInput): Promise<RdbCheckResult & { path: string }> {
  let path = input.path;
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    path = join(path, input.fileName);
  }
  if (!input.replace && (await stat(path).catch(() => undefined))) {
    throw new BackupError(
      'TARGET_NOT_EMPTY',
      `${path} exists; restore with replace: true to overwrite it (stop the server that uses it first)`,
      { details: { path } },
    );
  }
  const partial = `${path}.partial`;
  const check = new RdbStreamCheck();
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(partial, 'w', 0o600);
    const handle = file;
    const stream = await input.open();
    await consumeArtifact(
      stream,
      async (chunk) => {
        check.update(chunk);
        await handle.write(chunk);
      },
      (error) => error instanceof RdbFormatError,
    );
    const result = check.finish();
    await handle.sync();
    await handle.close();
    file = undefined;
    await rename(partial, path);
    return { ...result, path };
  } catch (error) {
    await file?.close().catch(() => {});
    await rm(partial, { force: true }).catch(() => {});
    if (error instanceof RdbFormatError) {
      throw new BackupError(
        'RESTORE_FAILED',
        `Unit ${input.unit}: the RDB artifact is invalid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    if (error instanceof BackupError) throw error;
    throw new BackupError('RESTORE_FAILED', `Writing ${path} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
