import { Duplex } from 'node:stream';

/** Options of {@link WebTransformDuplex}. */
export interface WebTransformDuplexOptions {
  /**
   * Starts the web-streams transform: receives the input (everything written to the duplex) and
   * resolves to the output (what the duplex emits). It may read part of the input before it
   * resolves (age reads the header first). A rejection destroys the duplex.
   */
  start: (input: ReadableStream<Uint8Array>) => Promise<ReadableStream<Uint8Array>>;
  /** Turns any error raised on the web side (start, input, output) into the error the duplex emits. */
  mapError: (error: unknown) => Error;
  /** High-water mark of the readable side in bytes. Default 1 MiB (the pipeline's chunk size). */
  readableHighWaterMark?: number;
}

/**
 * A Node.js `Duplex` around a web-streams transform (`ReadableStream` in, `ReadableStream` out),
 * written by hand rather than with `Duplex.fromWeb` so that:
 *
 * - backpressure holds on both sides: a write's callback is only called once the web side has
 *   pulled the chunk (the input queue holds at most one chunk, `highWaterMark: 1`), and the output
 *   is only read while `push()` returns true;
 * - every error raised on the web side (a wrong key while age parses the header, an authentication
 *   failure in a STREAM chunk) reaches the Node side through `mapError`, and destroying the duplex
 *   (a failing pipeline stage) errors the input and cancels the output, so nothing keeps running.
 *
 * Memory is bounded by one input chunk, the web transform's own buffers, and the readable
 * high-water mark.
 */
export class WebTransformDuplex extends Duplex {
  readonly #mapError: (error: unknown) => Error;
  readonly #output: Promise<ReadableStream<Uint8Array>>;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #pendingWrite: ((error?: Error | null) => void) | undefined;
  #outputStream: ReadableStream<Uint8Array> | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #pumping = false;

  constructor(options: WebTransformDuplexOptions) {
    super({ readableHighWaterMark: options.readableHighWaterMark ?? 1 << 20 });
    this.#mapError = options.mapError;
    const input = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        // Called when the web side wants more: release the write that is waiting for room.
        pull: () => {
          const callback = this.#pendingWrite;
          this.#pendingWrite = undefined;
          callback?.();
        },
        // The web side gave up on its input (it failed or was cancelled): fail the duplex too.
        cancel: (reason) => {
          if (!this.destroyed) this.destroy(this.#mapError(reason));
        },
      },
      { highWaterMark: 1 },
    );
    let output: Promise<ReadableStream<Uint8Array>>;
    try {
      output = options.start(input);
    } catch (error) {
      output = Promise.reject(error);
    }
    this.#output = output.then((stream) => {
      this.#outputStream = stream;
      return stream;
    });
    // Fail as soon as the web side rejects (e.g. no identity matches the header), even before
    // anyone reads; the pump sees the same rejection later and ignores it.
    this.#output.catch((error: unknown) => {
      if (!this.destroyed) this.destroy(this.#mapError(error));
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const controller = this.#controller!;
    try {
      controller.enqueue(chunk);
    } catch (error) {
      callback(this.#mapError(error));
      return;
    }
    if ((controller.desiredSize ?? 0) > 0) callback();
    else this.#pendingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#controller!.close();
      callback();
    } catch (error) {
      callback(this.#mapError(error));
    }
  }

  override _read(): void {
    void this.#pump();
  }

  /** Moves output chunks into the readable side until `push` asks to stop or the output ends. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      this.#reader ??= (await this.#output).getReader();
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (this.destroyed) return;
        if (done) {
          this.push(null);
          return;
        }
        if (!this.push(value)) return;
      }
    } catch (error) {
      if (!this.destroyed) this.destroy(this.#mapError(error));
    } finally {
      this.#pumping = false;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const reason = error ?? new Error('stream destroyed');
    this.#pendingWrite = undefined;
    try {
      this.#controller?.error(reason);
    } catch {
      // already closed or errored
    }
    if (this.#reader) this.#reader.cancel(reason).catch(() => {});
    else if (this.#outputStream && !this.#outputStream.locked)
      this.#outputStream.cancel(reason).catch(() => {});
    else this.#output.then((stream) => (stream.locked ? undefined : stream.cancel(reason))).catch(() => {});
    callback(error);
  }
}
