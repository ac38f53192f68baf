import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { BackupError, type EngineContext } from '@backup/core';
import type { QdrantConnection } from './QdrantConnection.js';
import { QdrantHttpError } from './QdrantHttpError.js';
import { toQdrantBackupError } from './toQdrantBackupError.js';

/** Input of {@link uploadSnapshot}. */
export interface UploadSnapshotInput {
  /** Target collection (created from the snapshot when missing, replaced when present). */
  collection: string;
  /** The snapshot bytes (a stream read once; it should error, not end, on a checksum failure). */
  source: AsyncIterable<Uint8Array>;
  /** Exact size in bytes (sent in `Content-Length`; a different count fails the upload). */
  size: number;
  /** Lowercase hex sha256 of the bytes, sent as `checksum`: Qdrant hashes what it received and refuses a mismatch. */
  checksum: string;
  /** File name in the multipart part (Qdrant keeps only its base name). */
  filename: string;
}

/**
 * Restores a collection by uploading a snapshot: `recover_from_uploaded_snapshot`
 * `POST /collections/{c}/snapshots/upload?wait=true&priority=snapshot&checksum=<sha256>` with the
 * file in the multipart field `snapshot` (protocols.md §1.1, `src/actix/api/snapshot_api.rs`).
 * `priority=snapshot` is always sent explicitly (the server default changed between versions,
 * protocols.md §1.1). The body is streamed with a known `Content-Length` (no temporary file).
 *
 * Uses `node:http(s)` rather than fetch: with `wait=true` Qdrant answers only after the restore,
 * which can exceed undici's fixed 300 s headers timeout. The socket may stay silent for
 * `conn.snapshotTimeoutMs`. Not retried (a restore is not idempotent mid-way).
 *
 * @throws BackupError `RESTORE_FAILED` (HTTP error with Qdrant's message, e.g. a checksum mismatch;
 *   connection failure; size mismatch), the source's own error (`CHECKSUM_MISMATCH`...), `ABORTED`.
 */
export async function uploadSnapshot(
  conn: QdrantConnection,
  input: UploadSnapshotInput,
  ctx: EngineContext,
): Promise<void> {
  const path = `/collections/${encodeURIComponent(input.collection)}/snapshots/upload`;
  const what = `Uploading snapshot ${input.filename} into collection ${input.collection} (POST ${path}) on ${conn.label}`;
  const url = conn.endpoint(path, { wait: true, priority: 'snapshot', checksum: input.checksum });
  const boundary = `qdrant-backup-${randomBytes(12).toString('hex')}`;
  const filename = input.filename.replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="${filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const request = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'POST',
    headers: conn.headers({
      accept: 'application/json',
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + input.size + tail.length),
    }),
  });
  let settled = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        ctx.signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => {
        const error = new BackupError('ABORTED', `${what} was aborted`);
        request.destroy(error);
        finish(error);
      };
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      request.setTimeout(conn.snapshotTimeoutMs, () => {
        request.destroy(
          new BackupError('RESTORE_FAILED', `${what}: no answer for ${conn.snapshotTimeoutMs} ms`),
        );
      });
      request.on('error', (error) => finish(error));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => finish(error));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status === 200) finish();
          else finish(new QdrantHttpError(status, Buffer.concat(chunks).toString('utf8')));
        });
      });
      (async () => {
        if (!request.write(head)) await drained(request);
        if (settled) {
          release(input.source);
          return;
        }
        let sent = 0;
        for await (const chunk of input.source) {
          if (settled) return;
          sent += chunk.length;
          if (sent > input.size) {
            throw new BackupError(
              'RESTORE_FAILED',
              `${what}: the snapshot is larger than its recorded ${input.size} bytes`,
            );
          }
          if (!request.write(chunk)) await drained(request);
        }
        if (sent !== input.size) {
          throw new BackupError(
            'RESTORE_FAILED',
            `${what}: the snapshot has ${sent} bytes, ${input.size} were recorded`,
          );
        }
        request.end(tail);
      })().catch((error: unknown) => {
        request.destroy(error instanceof Error ? error : new Error(String(error)));
        finish(error);
      });
    });
  } catch (error) {
    throw toQdrantBackupError(error, 'RESTORE_FAILED', what);
  } finally {
    if (!request.destroyed && !request.writableFinished) request.destroy();
  }
}

/** Destroys a source stream that will not be read (a Node or streamx stream). */
function release(source: AsyncIterable<Uint8Array>): void {
  const stream = source as { destroy?: () => void };
  if (typeof stream.destroy === 'function') stream.destroy();
}

/** Resolves on `drain`, or on `close` (a destroyed request never drains); rejects on `error`. */
async function drained(request: http.ClientRequest): Promise<void> {
  if (request.destroyed) return;
  await Promise.race([once(request, 'drain'), once(request, 'close')]);
}
