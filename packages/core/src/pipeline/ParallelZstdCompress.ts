import { Transform, type TransformCallback } from 'node:stream';
import type * as Zlib from 'node:zlib';

/** Options of {@link ParallelZstdCompress}. */
export interface ParallelZstdCompressOptions {
  /** zstd level, 1-19. Default 3. */
  level?: number;
  /**
   * Plaintext bytes per zstd frame. Default 2 MiB (2,097,152). Each frame is compressed on its own,
   * so a frame never refers to data of another frame; smaller frames compress slightly worse.
   */
  frameBytes?: number;
  /** Frames compressed at the same time, each on its own persistent zstd context. Default 2, minimum 1. */
  lanes?: number;
}

/** One persistent zstd context (a `node:zlib` ZstdCompress stream) that compresses one frame at a time. */
interface Lane {
  readonly stream: Zlib.ZstdCompress;
  /** Output of the frame in progress. */
  chunks: Buffer[];
  busy: boolean;
}

/** A frame handed to a lane: its output once `done`. */
interface Frame {
  chunks: Buffer[];
  done: boolean;
}

const DEFAULT_FRAME_BYTES = 2 * 1024 * 1024;
/** zlib's output buffer per call: 1 MiB, as in compression.ts (fewer round trips than 16 KiB). */
const CHUNK_SIZE = 1 << 20;

/**
 * A zstd compressing transform that keeps both cores busy: the plaintext is cut into `frameBytes`
 * blocks, each block becomes one independent zstd frame, and up to `lanes` frames are compressed at
 * the same time on libuv's thread pool. Frames are emitted in input order.
 *
 * Why frames: Node's streaming zstd runs one frame on one thread, ~110-150 MB/s here, slower than
 * `pg_dump` produces data. Compressed data made of several concatenated frames is one valid zstd
 * stream: "Zstandard compressed data is made of one or more frames" and decoders decode them one
 * after the other (RFC 8878 section 3.1; `zstd -d`, `ZSTD_decompressStream` and Node's
 * `createZstdDecompress` all do).
 *
 * Why persistent contexts: each lane is one `zlib.ZstdCompress` stream that ends a frame with
 * `flush(ZSTD_e_end)`; zstd then starts the next frame on the same context (zstd.h, ZSTD_e_end:
 * "frame completed ... the next call starts a new frame"). Allocating a context per frame
 * (`zlib.zstdCompress`) measured +25 MiB peak RSS for the same speed.
 *
 * Memory: at most `lanes` blocks in flight plus the one being filled, plus one context per lane
 * (about 3 MiB at level 3). Backpressure: a full block waits until a lane is free before more input
 * is accepted. Errors of a lane destroy this stream with that error.
 */
export class ParallelZstdCompress extends Transform {
  private readonly frameBytes: number;
  private readonly lanes: Lane[];
  /** Frames in input order; the head is emitted as soon as it is done. */
  private readonly frames: Frame[] = [];
  private block: Buffer | undefined;
  /**
   * Full-size blocks a lane has finished with, reused: allocating a fresh 2 MiB buffer per frame let
   * V8 keep up to tens of MiB of dead blocks (promoted to old space while in flight) until a full GC.
   */
  private readonly spare: Buffer[] = [];
  private filled = 0;
  /** Frames handed to lanes so far. */
  private framesStarted = 0;
  /** Continues a `_transform` or `_flush` that waits for a free lane or for all frames. */
  private continuation: (() => void) | undefined;
  /** `zlib.constants.ZSTD_e_end`: the flush that ends a frame. */
  private readonly endFrame: number;

  /** @throws RangeError when `frameBytes` < 1 or `level` is not a valid zstd level (from node:zlib). */
  constructor(options: ParallelZstdCompressOptions = {}) {
    super({ highWaterMark: 1 << 20 });
    this.frameBytes = options.frameBytes ?? DEFAULT_FRAME_BYTES;
    if (!(this.frameBytes >= 1)) throw new RangeError(`frameBytes must be >= 1 (got ${this.frameBytes})`);
    const laneCount = Math.max(1, Math.floor(options.lanes ?? 2));
    // node:zlib on first use, not at import (docs/performance.md, "Start-up").
    const zlib: typeof Zlib = process.getBuiltinModule('node:zlib');
    this.endFrame = zlib.constants.ZSTD_e_end;
    this.lanes = Array.from({ length: laneCount }, () => {
      const stream = zlib.createZstdCompress({
        chunkSize: CHUNK_SIZE,
        params: {
          [zlib.constants.ZSTD_c_compressionLevel]: options.level ?? 3,
          // A 4-byte XXH64 content checksum per frame (RFC 8878 section 3.1.1), as the zstd CLI
          // writes by default: `zstd -d` then reports corrupt data instead of writing it out.
          [zlib.constants.ZSTD_c_checksumFlag]: 1,
        },
      });
      const lane: Lane = { stream, chunks: [], busy: false };
      // Flowing mode: zlib pushes each output chunk before it calls the write callback, and in
      // flowing mode with nothing buffered `push` emits 'data' at once, so a frame's output is
      // complete when its flush callback runs.
      stream.on('data', (chunk: Buffer) => lane.chunks.push(chunk));
      stream.on('error', (error) => this.destroy(error));
      return lane;
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.acceptChunk(chunk, 0, callback);
  }

  /** Copies `chunk[offset..]` into blocks, dispatching each full block; waits for a lane when all are busy. */
  private acceptChunk(chunk: Buffer, offset: number, callback: TransformCallback): void {
    let at = offset;
    while (at < chunk.length) {
      if (this.filled === this.frameBytes && !this.dispatch()) {
        this.continuation = () => this.acceptChunk(chunk, at, callback);
        return;
      }
      this.block ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(this.frameBytes);
      const copied = chunk.copy(this.block, this.filled, at);
      this.filled += copied;
      at += copied;
    }
    callback();
  }

  /** Hands the current block to a free lane. Returns false when every lane is busy. */
  private dispatch(): boolean {
    const lane = this.lanes.find((l) => !l.busy);
    if (!lane || !this.block) return false;
    const whole = this.block;
    const block = this.filled === whole.length ? whole : whole.subarray(0, this.filled);
    this.block = undefined;
    this.filled = 0;
    const frame: Frame = { chunks: [], done: false };
    this.frames.push(frame);
    this.framesStarted += 1;
    lane.busy = true;
    lane.stream.write(block);
    lane.stream.flush(this.endFrame, () => {
      frame.chunks = lane.chunks;
      frame.done = true;
      lane.chunks = [];
      lane.busy = false;
      // zlib calls a write's callback after it consumed all of that input: the block is free.
      if (whole.length === this.frameBytes) this.spare.push(whole);
      this.emitDone();
      const next = this.continuation;
      this.continuation = undefined;
      next?.();
    });
    return true;
  }

  /** Pushes every finished frame at the head of the queue, in order. */
  private emitDone(): void {
    while (this.frames[0]?.done) {
      for (const chunk of this.frames.shift()!.chunks) this.push(chunk);
    }
  }

  override _flush(callback: TransformCallback): void {
    const finish = () => {
      // Empty input still gets one (empty) frame, so the output is a valid zstd stream.
      if (this.framesStarted === 0 && this.filled === 0) this.block ??= Buffer.alloc(0);
      if (this.filled > 0 || (this.framesStarted === 0 && this.block)) {
        if (!this.dispatch()) {
          this.continuation = finish;
          return;
        }
      }
      if (this.frames.length > 0) {
        this.continuation = finish;
        return;
      }
      for (const lane of this.lanes) lane.stream.end();
      callback();
    };
    finish();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.continuation = undefined;
    for (const lane of this.lanes) lane.stream.destroy();
    callback(error);
  }
}
