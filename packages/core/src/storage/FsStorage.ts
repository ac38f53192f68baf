import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError, toBackupError } from '../errors.js';
import { BatchedFileWriter, type FileWriteMode } from './BatchedFileWriter.js';
import { assertSafeKey } from './keys.js';
import type {
  ByteRange,
  ObjectInfo,
  PutOptions,
  PutResult,
  StorageBackend,
  StorageCapabilities,
} from './StorageBackend.js';

/** Options of {@link FsStorage}. */
export interface FsStorageOptions {
  /** Root directory; created on first write. Relative paths resolve against the working directory. */
  path: string;
  /**
   * How object bytes are written: `sync` (default) on the main thread, `async` on the libuv
   * thread pool, for network file systems (NFS, EFS, CephFS) where one write may wait for the
   * network. See {@link FileWriteMode} for the measurements behind the default.
   */
  writes?: FileWriteMode | undefined;
}

const TEMP_MARK = '.tmp-';

function isTemp(name: string): boolean {
  return name.startsWith('.') && name.includes(TEMP_MARK);
}

/**
 * Local-directory backend. Writes go to a hidden temporary file in the target directory, are
 * fsynced, then renamed into place, so a reader never sees a partial object and a crash leaves
 * only a hidden temp file (ignored by `list`). `createExclusive` writes a temp file and
 * hard-links it into place, which fails atomically when the key exists (POSIX `link(2)`, `EEXIST`).
 */
export class FsStorage implements StorageBackend {
  readonly description: string;
  readonly capabilities: StorageCapabilities = { atomicCreate: true, rangeRead: true, presignedUrls: false };
  /** Absolute root directory. */
  readonly root: string;
  /** How object bytes are written ({@link FsStorageOptions.writes}). */
  readonly writes: FileWriteMode;

  /** @throws BackupError `CONFIG_INVALID` when `path` is empty or `writes` is not `sync` or `async`. */
  constructor(options: FsStorageOptions) {
    if (!options.path) throw new BackupError('CONFIG_INVALID', 'storage.path is required for type: fs');
    if (options.writes !== undefined && options.writes !== 'sync' && options.writes !== 'async') {
      throw new BackupError(
        'CONFIG_INVALID',
        `storage.writes must be sync or async (got ${String(options.writes)})`,
      );
    }
    this.writes = options.writes ?? 'sync';
    this.root = resolve(options.path);
    this.description = `fs:${this.root}`;
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split('/'));
  }

  private tempPathFor(path: string): string {
    const base = path.slice(path.lastIndexOf(sep) + 1);
    return join(
      dirname(path),
      `.${base}${TEMP_MARK}${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}`,
    );
  }

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    const temp = this.tempPathFor(path);
    let size = 0;
    try {
      await mkdir(dirname(path), { recursive: true });
      const source =
        typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
      // One writev per MiB of chunks, fsynced before 'finish' (see BatchedFileWriter).
      const out = new BatchedFileWriter(temp, {
        writes: this.writes,
        onProgress: (bytes) => {
          size = bytes;
          options.onProgress?.(bytes);
        },
      });
      await pipeline(source, out, options.signal ? { signal: options.signal } : {});
      await rename(temp, path);
      return { size };
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      if (error instanceof BackupError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code && /^E[A-Z]+$/.test(code) && !(error instanceof Error && error.name === 'AbortError')) {
        throw toBackupError(error, 'STORAGE_UNREACHABLE', `Cannot write ${path}`);
      }
      throw toBackupError(error, 'SOURCE_FAILED', `Writing ${key} failed`);
    }
  }

  async get(key: string, options: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const path = this.pathOf(key);
    const fh = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT')
        throw new BackupError('NOT_FOUND', `No object at ${key}`, { details: { key } });
      throw toBackupError(error, 'STORAGE_UNREACHABLE', `Cannot read ${path}`);
    });
    const streamOptions: { start?: number; end?: number; signal?: AbortSignal; highWaterMark: number } = {
      highWaterMark: 1 << 20,
    };
    if (options.range) {
      streamOptions.start = options.range.start;
      if (options.range.end !== undefined) streamOptions.end = options.range.end;
    }
    if (options.signal) streamOptions.signal = options.signal;
    return createReadStream(path, { ...streamOptions, fd: fh });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      if (!s.isFile()) return undefined;
      return { key, size: s.size, lastModified: s.mtime };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw toBackupError(error, 'STORAGE_UNREACHABLE', `Cannot stat ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // List the deepest directory the prefix names, then filter by the full prefix.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = dirPart ? join(this.root, ...dirPart.split('/')) : this.root;
    let entries: string[];
    try {
      entries = (await readdir(start, { recursive: true })) as string[];
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw toBackupError(error, 'STORAGE_UNREACHABLE', `Cannot list ${start}`);
    }
    entries.sort();
    for (const entry of entries) {
      const abs = join(start, entry);
      const key = relative(this.root, abs).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      if (key.split('/').some(isTemp)) continue;
      const s = await stat(abs).catch(() => undefined);
      if (!s?.isFile()) continue;
      yield { key, size: s.size, lastModified: s.mtime };
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw toBackupError(error, 'STORAGE_UNREACHABLE', `Cannot delete ${path}`);
        }
      }
      await this.pruneEmptyDirs(dirname(path));
    }
  }

  /** Removes directories left empty by a delete, up to (not including) the root. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + sep)) {
      try {
        await rmdir(current); // fails with ENOTEMPTY when something is left: stop there
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  async createExclusive(key: string, body: Uint8Array | string): Promise<boolean> {
    const path = this.pathOf(key);
    const temp = this.tempPathFor(path);
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(temp, 'wx');
    try {
      await fh.writeFile(typeof body === 'string' ? body : Buffer.from(body));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw toBackupError(error, 'STORAGE_UNREACHABLE', `Cannot create ${path}`);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }
}
