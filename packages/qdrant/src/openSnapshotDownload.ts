import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BackupError, type Logger } from '@backup/core';
import type { QdrantConnection } from './QdrantConnection.js';
import { QdrantHttpError } from './QdrantHttpError.js';
import { toQdrantBackupError } from './toQdrantBackupError.js';
import { withRetry } from './withRetry.js';

/** An open snapshot download: the body as a Node stream that errors on a cut connection. */
export interface SnapshotDownload {
  /** The body. Errors (never ends) when the connection is cut before `Content-Length` bytes. */
  body: Readable;
  /** `Content-Length`, when the server sent one. */
  contentLength: number | undefined;
  /** Aborts the HTTP request; the body errors with `reason`. */
  abort(reason: Error): void;
}

/**
 * Opens `GET <path>` of a snapshot file (`get_snapshot` `GET /collections/{c}/snapshots/{name}` or
 * `get_full_snapshot` `GET /snapshots/{name}`, protocols.md §1.1) with Node's fetch (undici) and
 * returns its body as a Node `Readable` (`Readable.fromWeb`): nothing is buffered or written to
 * disk. Sends `Accept-Encoding: identity` so the server does not spend CPU compressing a tar. The
 * request (not the body) is retried on transient errors; the headers must arrive within
 * `conn.timeoutMs`. Aborting `signal` aborts the download (`ABORTED`).
 *
 * @throws BackupError `SOURCE_FAILED` (HTTP error with Qdrant's message, connection refused...),
 *   `ABORTED`.
 */
export async function openSnapshotDownload(
  conn: QdrantConnection,
  path: string,
  options: { what: string; signal: AbortSignal; logger?: Logger | undefined },
): Promise<SnapshotDownload> {
  const what = `${options.what} from ${conn.label}`;
  const open = async () => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(new BackupError('ABORTED', `${what} was aborted`));
    if (options.signal.aborted) onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      controller.abort(new DOMException(`no answer within ${conn.timeoutMs} ms`, 'TimeoutError'));
    }, conn.timeoutMs);
    try {
      const response = await fetch(conn.endpoint(path), {
        headers: conn.headers({ 'accept-encoding': 'identity' }),
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        const text = await response.text().catch(() => '');
        throw new QdrantHttpError(response.status, text, response.headers.get('retry-after'));
      }
      const length = response.headers.get('content-length');
      const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
      body.once('close', () => options.signal.removeEventListener('abort', onAbort));
      return {
        body,
        contentLength: length === null || !/^\d+$/.test(length) ? undefined : Number(length),
        abort: (reason: Error) => controller.abort(reason),
      };
    } catch (error) {
      options.signal.removeEventListener('abort', onAbort);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    return await withRetry(open, conn.retryPolicy, { signal: options.signal, logger: options.logger, what });
  } catch (error) {
    throw toQdrantBackupError(error, 'SOURCE_FAILED', `Downloading ${what}`);
  }
}
