import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from '../errors.js';

/** What a {@link DigestStream} must see: size in bytes and lowercase hex sha256. */
export interface ExpectedDigest {
  bytes: number;
  sha256: string;
  /** Names the data in the error message, e.g. `stored bytes of postgresql/.../outline.dump.zst`. */
  label: string;
}

/**
 * Pass-through transform that counts bytes and computes sha256 of everything that flows through.
 * With `expected`, it fails the stream with `CHECKSUM_MISMATCH` at the end when the size or digest
 * differs (a short read included), so a reader never finishes successfully on corrupt data.
 */
export class DigestStream extends Transform {
  // node:crypto on first use, not at import (docs/performance.md, "Start-up").
  private readonly hash: Hash = process.getBuiltinModule('node:crypto').createHash('sha256');
  private readonly expected: ExpectedDigest | undefined;
  private readonly onBytes: ((bytes: number) => void) | undefined;
  /** Bytes seen so far. */
  bytes = 0;
  /** Hex sha256, set when the stream has ended. */
  sha256: string | undefined;

  constructor(options: { expected?: ExpectedDigest; onBytes?: (bytes: number) => void } = {}) {
    super({ highWaterMark: 1 << 20 });
    this.expected = options.expected;
    this.onBytes = options.onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    if (this.expected && this.bytes > this.expected.bytes) {
      callback(this.mismatch());
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.sha256 = this.hash.digest('hex');
    if (this.expected && (this.bytes !== this.expected.bytes || this.sha256 !== this.expected.sha256)) {
      callback(this.mismatch());
      return;
    }
    callback();
  }

  private mismatch(): BackupError {
    const e = this.expected!;
    return new BackupError(
      'CHECKSUM_MISMATCH',
      `Checksum mismatch for ${e.label}: expected ${e.bytes} bytes sha256 ${e.sha256}, ` +
        `got ${this.bytes}${this.sha256 ? ` bytes sha256 ${this.sha256}` : '+ bytes'}. The stored copy is corrupt or was changed.`,
      {
        details: {
          expectedBytes: e.bytes,
          actualBytes: this.bytes,
          expectedSha256: e.sha256,
          actualSha256: this.sha256,
        },
      },
    );
  }
}
