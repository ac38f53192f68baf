import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from '@backup/core';

/** Options of {@link SnapshotStreamGuard}. */
export interface SnapshotStreamGuardOptions {
  /** Names the download in errors: `Snapshot runbooks-1-2026-01-21-02-30-00.snapshot from http://...`. */
  what: string;
  /**
   * Lowercase hex sha256 Qdrant reported for the file (`SnapshotDescription.checksum`, written to
   * the `.checksum` sidecar before the snapshot is published, protocols.md §1.1). Absent for
   * snapshots without a sidecar: then only the size is checked.
   */
  expectedSha256?: string | undefined;
  /** Bytes the file must have (`SnapshotDescription.size`, and/or `Content-Length`). */
  expectedBytes?: number | undefined;
  /**
   * Milliseconds without a byte from the network (while the consumer is not applying back
   * pressure) after which the download is declared stalled: `SOURCE_FAILED`.
   */
  stallTimeoutMs: number;
  /** Called once with the stall error, to abort the HTTP request. */
  onStall?: ((error: BackupError) => void) | undefined;
  /** Receives every chunk (awaited: back pressure) and the end, e.g. a tar walker. */
  observer?: { write(chunk: Buffer): Promise<void>; end(): Promise<void> } | undefined;
}

/**
 * Pass-through for a snapshot download that makes a bad download impossible to mistake for a good
 * one: it counts bytes and computes our own sha256, and at the end fails the stream (so the
 * pipeline aborts the upload and nothing is stored) with `CHECKSUM_MISMATCH` when the digest differs
 * from the checksum Qdrant reported, or `SOURCE_FAILED` when the byte count differs from the
 * reported size (a cut connection that still ended cleanly). It also fails with `SOURCE_FAILED`
 * when no byte arrives for `stallTimeoutMs`. After the end, {@link SnapshotStreamGuard.sha256} and
 * {@link SnapshotStreamGuard.bytes} hold the result.
 */
export class SnapshotStreamGuard extends Transform {
  /** Bytes passed so far. */
  bytes = 0;
  /** Lowercase hex sha256 of everything passed; set when the stream ended successfully. */
  sha256: string | undefined;
  private readonly options: SnapshotStreamGuardOptions;
  private readonly hash: Hash = createHash('sha256');
  private lastData = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(options: SnapshotStreamGuardOptions) {
    super({ highWaterMark: 1 << 20 });
    this.options = options;
    const every = Math.max(10, Math.min(1000, Math.floor(options.stallTimeoutMs / 4)));
    this.timer = setInterval(() => this.checkStall(), every);
    this.timer.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.lastData = Date.now();
    this.bytes += chunk.length;
    const { expectedBytes } = this.options;
    if (expectedBytes !== undefined && this.bytes > expectedBytes) {
      callback(
        new BackupError(
          'SOURCE_FAILED',
          `${this.options.what}: received more than the ${expectedBytes} bytes Qdrant reported`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    const { observer } = this.options;
    if (!observer) {
      callback(null, chunk);
      return;
    }
    observer.write(chunk).then(
      () => callback(null, chunk),
      (error: unknown) => callback(asError(error)),
    );
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.timer);
    const { expectedBytes, expectedSha256, what } = this.options;
    if (expectedBytes !== undefined && this.bytes !== expectedBytes) {
      callback(
        new BackupError(
          'SOURCE_FAILED',
          `${what} ended after ${this.bytes} of ${expectedBytes} bytes: the download was cut`,
        ),
      );
      return;
    }
    const digest = this.hash.digest('hex');
    if (expectedSha256 !== undefined && digest !== expectedSha256.trim().toLowerCase()) {
      callback(
        new BackupError(
          'CHECKSUM_MISMATCH',
          `${what}: sha256 of the downloaded bytes is ${digest}, Qdrant reported ${expectedSha256}`,
          { details: { expected: expectedSha256, actual: digest } },
        ),
      );
      return;
    }
    const finish = () => {
      this.sha256 = digest;
      callback();
    };
    if (!this.options.observer) {
      finish();
      return;
    }
    this.options.observer.end().then(finish, (error: unknown) => callback(asError(error)));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    callback(error);
  }

  private checkStall(): void {
    if (this.destroyed || this.writableFinished) return;
    const idle = Date.now() - this.lastData;
    const pressured = this.writableLength > 0 || this.readableLength >= this.readableHighWaterMark;
    if (idle <= this.options.stallTimeoutMs || pressured) return;
    const error = new BackupError(
      'SOURCE_FAILED',
      `${this.options.what}: no data for ${this.options.stallTimeoutMs} ms after ${this.bytes} bytes (stalled)`,
    );
    this.options.onStall?.(error);
    this.destroy(error);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
