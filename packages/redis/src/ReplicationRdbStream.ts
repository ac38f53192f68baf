import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { BackupError } from '@backup/core';

/** How the master frames the RDB after `SYNC` (protocols.md 2.1). */
export type RdbFraming =
  /** `$<len>\r\n` then exactly `len` bytes (disk-based sync). */
  | { kind: 'length'; length: number }
  /** `$EOF:<40 chars>\r\n` then the RDB followed by the same 40-byte mark (diskless sync). */
  | { kind: 'eof'; mark: Buffer };

/** Options of {@link ReplicationRdbStream}. */
export interface ReplicationRdbStreamOptions {
  /** `host:port` for messages. */
  label: string;
  /** Fail when the socket delivers nothing for this long while we are reading; default 60,000 ms. */
  idleTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Sees every RDB byte before it is pushed; a throw fails the stream (as `SOURCE_FAILED`). */
  onChunk?: ((chunk: Buffer) => void) | undefined;
  /** Runs once the whole RDB arrived, before the stream ends; a throw fails the stream instead. */
  onEnd?: (() => void) | undefined;
  /**
   * Socket reads are gathered into pushes of at least this many bytes (the last one may be
   * shorter); default 262,144 (256 KiB). A master streams in 16 KiB writes (`PROTO_IOBUF_LEN`),
   * so a reader that keeps up sees ~7,000 reads per 120 MB; pushed one by one, each costs the
   * pipeline a hash update, a compressor call and a write, ~0.3 s of CPU on the cores the
   * server's fork child needs. Gathering costs one copy per byte.
   */
  batchBytes?: number | undefined;
}

/** Default {@link ReplicationRdbStreamOptions.batchBytes}. */
const BATCH_BYTES = 256 * 1024;

const MARK_LENGTH = 40;

/**
 * The RDB a master sends after `SYNC`, as a Readable of exactly the file's bytes (the preamble and
 * the diskless EOF mark stripped, `redis/redis:src/redis-cli.c getRDB`). It ENDS only when the
 * whole RDB arrived (all `len` bytes, or the EOF mark) and `onEnd` accepted it; it ERRORS with
 * `SOURCE_FAILED` on a short read (connection closed or reset first, e.g. a killed server), a
 * socket error or an idle timeout, and with `ABORTED` when the signal fires, so a failed transfer
 * can never look like a complete artifact. Back-pressure pauses the socket (TCP flow control
 * reaches the master); destroying the stream closes the connection.
 */
export class ReplicationRdbStream extends Readable {
  private readonly socket: Socket;
  private readonly framing: RdbFraming;
  private readonly options: ReplicationRdbStreamOptions;
  private remaining: number;
  /** Diskless: received bytes not pushed yet (they may end with the EOF mark). */
  private pending: Buffer = Buffer.alloc(0);
  /** RDB bytes gathered for the next push ({@link ReplicationRdbStreamOptions.batchBytes}). */
  private batch: Buffer[] = [];
  private batchLength = 0;
  private readonly batchBytes: number;
  private finished = false;
  private paused = false;
  /** RDB bytes pushed so far (a diskless transfer holds back its newest socket read, and reads are gathered into batches first). */
  received = 0;
  private readonly onAbort = () =>
    this.fail(new BackupError('ABORTED', `RDB transfer from ${this.options.label} was aborted`));

  constructor(socket: Socket, initial: Buffer, framing: RdbFraming, options: ReplicationRdbStreamOptions) {
    super({ highWaterMark: 1 << 20 });
    this.socket = socket;
    this.framing = framing;
    this.options = options;
    this.batchBytes = Math.max(1, options.batchBytes ?? BATCH_BYTES);
    this.remaining = framing.kind === 'length' ? framing.length : Number.POSITIVE_INFINITY;
    // A transfer can fail before its consumer attached (e.g. while the sink prepares the upload):
    // the error stays in `errored` and reaches `for await`/`pipeline` when they start, instead of
    // crashing the process as an unhandled 'error' event (as core's readArtifact does).
    this.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.handle(chunk));
    socket.on('end', () => this.closedEarly());
    socket.on('close', () => this.closedEarly());
    socket.on('error', (error: Error) =>
      this.fail(
        new BackupError('SOURCE_FAILED', `RDB transfer from ${options.label} failed: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    socket.setTimeout(options.idleTimeoutMs ?? 60_000);
    socket.on('timeout', () => {
      if (this.paused) return; // we stopped reading: the silence is ours
      this.fail(
        new BackupError(
          'SOURCE_FAILED',
          `RDB transfer from ${options.label} stalled: no data for ${Math.round((options.idleTimeoutMs ?? 60_000) / 1000)} s after ${this.arrived()} bytes`,
        ),
      );
    });
    if (options.signal?.aborted) {
      queueMicrotask(this.onAbort);
    } else {
      options.signal?.addEventListener('abort', this.onAbort, { once: true });
    }
    if (framing.kind === 'length' && framing.length === 0) {
      queueMicrotask(() => this.complete());
    } else if (initial.length > 0) {
      this.handle(initial);
    }
  }

  override _read(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finished = true;
    this.release();
    callback(error);
  }

  private handle(chunk: Buffer): void {
    if (this.finished) return;
    if (this.framing.kind === 'length') {
      const take = Math.min(chunk.length, this.remaining);
      this.remaining -= take;
      this.gather(take === chunk.length ? chunk : chunk.subarray(0, take));
      if (this.remaining === 0) {
        this.flush();
        this.complete();
      }
      return;
    }
    // Diskless: the last 40 bytes received may be the EOF mark, so the newest bytes are held back
    // in `pending`. A chunk of at least 40 bytes proves everything pending is RDB data: pending is
    // gathered whole and the chunk becomes pending (no 40-byte splits, no copy until the batch).
    const mark = this.framing.mark;
    if (chunk.length >= MARK_LENGTH) {
      this.gather(this.pending);
      this.pending = chunk;
    } else {
      // A short read: only the last (40 - chunk.length) pending bytes can be part of the mark.
      const keep = MARK_LENGTH - chunk.length;
      if (this.pending.length > keep) {
        this.gather(this.pending.subarray(0, this.pending.length - keep));
        this.pending = this.pending.subarray(this.pending.length - keep);
      }
      this.pending = Buffer.concat([this.pending, chunk]);
    }
    const end = this.pending.length;
    if (!this.finished && end >= MARK_LENGTH && mark.compare(this.pending, end - MARK_LENGTH, end) === 0) {
      this.gather(this.pending.subarray(0, end - MARK_LENGTH));
      this.flush();
      this.complete();
    }
  }

  /** Bytes that arrived after the preamble (pushed, gathered, and held back while diskless), for messages. */
  private arrived(): number {
    return this.received + this.batchLength + this.pending.length;
  }

  /** Adds RDB bytes to the batch; pushes it once it holds `batchBytes`. */
  private gather(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.batch.push(bytes);
    this.batchLength += bytes.length;
    if (this.batchLength >= this.batchBytes) this.flush();
  }

  /** Pushes the batch as one chunk (copied together when it holds more than one read). */
  private flush(): void {
    if (this.batchLength === 0) return;
    const bytes = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchLength);
    this.batch = [];
    this.batchLength = 0;
    this.emitBytes(bytes);
  }

  private emitBytes(bytes: Buffer): void {
    if (this.finished || bytes.length === 0) return;
    this.received += bytes.length;
    try {
      this.options.onChunk?.(bytes);
    } catch (error) {
      this.fail(asSourceError(error, this.options.label));
      return;
    }
    if (!this.push(bytes) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private complete(): void {
    if (this.finished) return;
    try {
      this.options.onEnd?.();
    } catch (error) {
      this.fail(asSourceError(error, this.options.label));
      return;
    }
    this.finished = true;
    this.release();
    this.push(null);
  }

  private closedEarly(): void {
    if (this.finished) return;
    const expected = this.framing.kind === 'length' ? ` of ${this.framing.length}` : '';
    this.fail(
      new BackupError(
        'SOURCE_FAILED',
        `RDB transfer from ${this.options.label} ended early: the connection closed after ${this.arrived()}${expected} bytes ` +
          `(was the server stopped or killed, or the replica output buffer limit hit?)`,
        { details: { receivedBytes: this.arrived() } },
      ),
    );
  }

  private fail(error: BackupError): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    this.destroy(error);
  }

  private release(): void {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.socket.setTimeout(0);
    this.socket.removeAllListeners('data');
    this.socket.on('error', () => {});
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

function asSourceError(error: unknown, label: string): BackupError {
  if (error instanceof BackupError) return error;
  return new BackupError('SOURCE_FAILED', `RDB from ${label} is invalid: ${(error as Error).message}`, {
    cause: error,
  });
}
