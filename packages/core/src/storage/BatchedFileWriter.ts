import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * How a {@link BatchedFileWriter} hands a batch to the file system:
 * - `sync` (the default): `fs.writevSync` on the thread that runs the stream (the main thread).
 *   On a local disk a batch is a copy into the page cache, ~0.25 ms per MiB (median of 3 x 128
 *   writes here; the slowest 0.9 ms), for which the event loop waits; longer when the kernel
 *   throttles a process that dirties pages faster than the disk takes them.
 * - `async`: `FileHandle.writev` on the libuv thread pool, so the event loop goes on (reading the
 *   source) while a batch is written. For network file systems (NFS, EFS, CephFS mounts), where one
 *   write may wait for the network.
 *
 * Why `sync` is the default: each asynchronous batch is a hand-off to a pool thread and back, and
 * on a backup pod's 2 busy cores (the Redis fork child or pg_dump on one, our main thread on the
 * other) the pool thread waits for a core each time. Measured on a 133.9 MB Redis RDB, 12
 * alternating runs each against `redis-cli --rdb` (docs/performance.md, 2026-11-22 07:35 UTC):
 * disk-based sync, transfer 410 -> 240 ms and the whole backup process 1903 -> 1637 ms (median);
 * diskless sync, 1495 -> 1422 ms.
 */
export type FileWriteMode = 'sync' | 'async';

/** Options of {@link BatchedFileWriter}. */
export interface BatchedFileWriterOptions {
  /**
   * Bytes collected before one `writev(2)`; default 1 MiB (1,048,576). Also the stream's
   * high-water mark, so at most about twice this much is held in memory.
   */
  batchBytes?: number | undefined;
  /** Called with the total bytes accepted so far, after each chunk. */
  onProgress?: ((bytes: number) => void) | undefined;
  /** How batches are written: {@link FileWriteMode}; default `sync`. */
  writes?: FileWriteMode | undefined;
}

/**
 * A writable stream into a NEW file (`open(path, 'wx')`: fails with `EEXIST` when it exists) that
 * gathers chunks and hands them to the file system in one `writev(2)` per `batchBytes`, without
 * copying them (synchronously by default: {@link FileWriteMode}), and fsyncs the file before it
 * finishes (`finish` means the bytes are on disk).
 *
 * Why: `fs.createWriteStream` issues one write per chunk whenever the previous write has already
 * completed, which is the normal case for a page-cache write. A stream of small chunks (an RDB
 * read from a socket arrives in ~17 KiB pieces, ~7,000 per 122 MB) then cost one thread-pool round
 * trip per chunk: ~0.1 s of main-thread time and ~0.4 CPU-s of system time per 122 MB, measured
 * with `--cpu-prof` and `time` on packages/redis/bench.
 *
 * `bytes` counts what was accepted. On error or destroy the file handle is closed; removing the
 * partial file is the caller's job.
 */
export class BatchedFileWriter extends Writable {
  /** Bytes accepted so far. */
  bytes = 0;
  private readonly path: string;
  private readonly batchBytes: number;
  private readonly onProgress: ((bytes: number) => void) | undefined;
  private readonly writes: FileWriteMode;
  private handle: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** @throws RangeError when `batchBytes` is not a positive number or `writes` is not a {@link FileWriteMode}. */
  constructor(path: string, options: BatchedFileWriterOptions = {}) {
    const batchBytes = options.batchBytes ?? 1 << 20;
    if (!(batchBytes > 0)) throw new RangeError(`batchBytes must be > 0 (got ${batchBytes})`);
    super({ highWaterMark: batchBytes });
    this.path = path;
    this.batchBytes = batchBytes;
    this.onProgress = options.onProgress;
    this.writes = options.writes ?? 'sync';
    if (this.writes !== 'sync' && this.writes !== 'async') {
      throw new RangeError(`writes must be 'sync' or 'async' (got ${String(options.writes)})`);
    }
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'wx').then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.accept(chunk);
    if (this.pendingBytes < this.batchBytes) callback();
    else this.flush(callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    for (const { chunk } of chunks) this.accept(chunk);
    if (this.pendingBytes < this.batchBytes) callback();
    else this.flush(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush((error) => {
      if (error) {
        callback(error);
        return;
      }
      const handle = this.handle!;
      handle
        .sync()
        .then(() => {
          this.handle = undefined;
          return handle.close();
        })
        .then(() => callback(), callback);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    this.pending = [];
    if (!handle) {
      callback(error);
      return;
    }
    handle.close().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private accept(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
  }

  /** Writes every pending chunk as {@link FileWriteMode} says, then calls `callback` (with the error, if any). */
  private flush(callback: (error?: Error | null) => void): void {
    const buffers = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.writes === 'async') {
      this.writeAllAsync(buffers, bytes).then(() => callback(), callback);
      return;
    }
    try {
      const fd = this.handle!.fd;
      let left = bytes;
      let rest = buffers;
      while (left > 0) {
        const written = writevSync(fd, rest);
        left -= written;
        if (left > 0) rest = skipBytes(rest, written);
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  }

  /** `writev(2)` on the thread pool, looping over short writes (it may write fewer bytes). */
  private async writeAllAsync(buffers: Buffer[], bytes: number): Promise<void> {
    let left = bytes;
    let rest = buffers;
    while (left > 0) {
      const { bytesWritten } = await this.handle!.writev(rest);
      left -= bytesWritten;
      if (left > 0) rest = skipBytes(rest, bytesWritten);
    }
  }
}

/** `buffers` without their first `bytes` bytes (after a short `writev(2)`). */
function skipBytes(buffers: Buffer[], bytes: number): Buffer[] {
  let rest = buffers;
  let skip = bytes;
  while (skip > 0 && rest.length > 0) {
    const first = rest[0]!;
    if (first.length <= skip) {
      skip -= first.length;
      rest = rest.slice(1);
    } else {
      rest = [first.subarray(skip), ...rest.slice(1)];
      skip = 0;
    }
  }
  return rest;
}
