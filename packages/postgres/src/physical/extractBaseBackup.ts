import type { FileHandle } from 'node:fs/promises';
import { chmod, chown, mkdir, open, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { BackupError, toBackupError } from '@backup/core';
import { type BaseBackupCheck, BaseBackupChecker } from './BaseBackupChecker.js';
import { TarParser } from './TarParser.js';

/** Options of {@link extractBaseBackup}. */
export interface ExtractBaseBackupOptions {
  /**
   * Owner given to every extracted file and directory (`chown`), for a root process restoring a
   * data directory the `postgres` OS user will run. Default: the owner of `dataDir` when it exists
   * and this process runs as root, else no `chown` (files belong to this process's user).
   */
  owner?: { uid: number; gid: number } | undefined;
  /** WAL segment size in bytes, to name the segments the backup needs; default 16 MiB. */
  walSegmentSize?: number | undefined;
  /** SHA algorithm (`SHA256`...) of the backup's manifest checksums when not CRC32C. */
  shaAlgorithm?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** What {@link extractBaseBackup} wrote. */
export interface ExtractedBaseBackup extends BaseBackupCheck {
  /** Absolute path of the data directory. */
  dataDir: string;
}

/**
 * Extracts the tar stream of a base backup (`pg_basebackup -Ft`) into `dataDir`, which must be
 * missing or empty (it is created with mode 0700, as PostgreSQL requires), and checks every file
 * against the tar's `backup_manifest` while writing (see `BaseBackupChecker`, the checks of
 * `pg_verifybackup --no-parse-wal`). Regular files and directories only: symlinks (tablespaces,
 * which `pg_basebackup -D -` refuses anyway) and paths leaving the directory are refused. The
 * result is a directory `pg_verifybackup` accepts. Memory: one stream chunk (1 MiB).
 *
 * @throws BackupError `TARGET_NOT_EMPTY` when `dataDir` has entries; `RESTORE_FAILED` for unsafe or
 *   unsupported entries and write errors; `VERIFY_FAILED` when the contents do not match the
 *   manifest or the tar is truncated (the directory is then left as is: delete it); `ABORTED`.
 */
export async function extractBaseBackup(
  source: Readable,
  dataDir: string,
  options: ExtractBaseBackupOptions = {},
): Promise<ExtractedBaseBackup> {
  const root = resolve(dataDir);
  let owner = options.owner;
  try {
    const entries = await readdir(root);
    if (entries.length > 0) {
      source.destroy();
      throw new BackupError(
        'TARGET_NOT_EMPTY',
        `${root} is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}); restore into an empty or missing directory`,
        { details: { dataDir: root } },
      );
    }
    if (owner === undefined && process.getuid?.() === 0) {
      const s = await stat(root);
      owner = { uid: s.uid, gid: s.gid };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      source.destroy();
      throw toBackupError(error, 'RESTORE_FAILED', `Cannot read ${root}`);
    }
    await mkdir(root, { recursive: true, mode: 0o700 });
    if (owner) await chown(root, owner.uid, owner.gid);
  }
  await chmod(root, 0o700);

  const parser = new TarParser();
  const checker = new BaseBackupChecker({
    segmentSize: options.walSegmentSize,
    shaAlgorithm: options.shaAlgorithm,
  });
  const made = new Set<string>([root]);
  let file: FileHandle | undefined;
  const ensureDir = async (dir: string) => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    made.add(dir);
    if (owner) await chown(dir, owner.uid, owner.gid);
  };
  try {
    for await (const chunk of source) {
      if (options.signal?.aborted) throw new BackupError('ABORTED', `Extraction into ${root} was aborted`);
      for (const event of parser.push(chunk as Buffer)) {
        checker.push(event);
        if (event.kind === 'entry') {
          const { header } = event;
          const target = safePath(root, header.path);
          if (header.type === 'directory') {
            await ensureDir(target);
            await chmod(target, header.mode || 0o700);
          } else if (header.type === 'file') {
            await ensureDir(target.slice(0, target.lastIndexOf(sep)));
            file = await open(target, 'wx', header.mode || 0o600);
            if (owner) await file.chown(owner.uid, owner.gid);
          } else {
            throw new BackupError(
              'RESTORE_FAILED',
              `The base backup contains ${header.type} ${header.path} -> ${header.linkName}; only files and directories are restored (no tablespaces)`,
            );
          }
        } else if (event.kind === 'data') {
          if (file) await file.write(event.chunk);
        } else if (file) {
          await file.close();
          file = undefined;
        }
      }
    }
    parser.finish();
  } catch (error) {
    await file?.close().catch(() => {});
    source.destroy();
    if (error instanceof BackupError) throw error;
    if (options.signal?.aborted) throw new BackupError('ABORTED', `Extraction into ${root} was aborted`);
    throw toBackupError(error, 'RESTORE_FAILED', `Extracting the base backup into ${root} failed`);
  }
  return { ...checker.finish(), dataDir: root };
}

/** `root/<path>`, refusing absolute paths and `..` segments. */
function safePath(root: string, path: string): string {
  if (path === '' || isAbsolute(path) || path.split('/').some((s) => s === '..' || s === '')) {
    throw new BackupError('RESTORE_FAILED', `The base backup contains an unsafe path "${path}"`);
  }
  return join(root, ...path.split('/'));
}
