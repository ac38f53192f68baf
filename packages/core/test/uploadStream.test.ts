// The multipart loop's bookkeeping (part sizes, buffer reuse, ordering, clean-up) against a
// recording client. The S3 protocol itself is exercised against s3rver in S3Storage.test.ts;
// here part sizes far below S3's 5 MiB minimum let the 1,000-part size steps and the 10,000-part
// limit run in memory.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as sdk from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  MAX_PART_SIZE,
  MAX_PARTS,
  PARTS_PER_SIZE_STEP,
  partSizeOf,
  type UploadStreamError,
  uploadStream,
} from '../src/storage/uploadStream.js';

interface Recorded {
  name: string;
  input: Record<string, unknown>;
}

/** A client that records commands and answers as S3 does; `failPart` makes that UploadPart fail. */
function recordingClient(options: { failPart?: number; partDelayMs?: number; failAbort?: boolean } = {}) {
  const calls: Recorded[] = [];
  const bodies = new Map<number, Buffer>();
  const bodyBuffers = new Set<ArrayBufferLike>();
  let maxInFlight = 0;
  let inFlight = 0;
  let single: Buffer | undefined;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      calls.push({ name, input: command.input });
      switch (name) {
        case 'CreateMultipartUploadCommand':
          return { UploadId: 'upload-1' };
        case 'UploadPartCommand': {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            const body = command.input['Body'] as Buffer;
            bodyBuffers.add(body.buffer);
            const number = command.input['PartNumber'] as number;
            // Copy now: the loop may reuse the buffer once this request settled.
            bodies.set(number, Buffer.from(body));
            await new Promise((resolve) => setTimeout(resolve, options.partDelayMs ?? 0));
            if (number === options.failPart)
              throw Object.assign(new Error('InternalError'), { name: 'InternalError' });
            return { ETag: `"etag-${number}"` };
          } finally {
            inFlight -= 1;
          }
        }
        case 'CompleteMultipartUploadCommand':
          return {};
        case 'AbortMultipartUploadCommand':
          if (options.failAbort) throw Object.assign(new Error('AccessDenied'), { name: 'AccessDenied' });
          return {};
        case 'PutObjectCommand':
          single = Buffer.from(command.input['Body'] as Buffer);
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return {
    client: client as unknown as sdk.S3Client,
    calls,
    bodies,
    bodyBuffers,
    maxInFlight: () => maxInFlight,
    single: () => single,
    names: () => calls.map((c) => c.name),
    stored: () => Buffer.concat([...bodies.entries()].sort((a, b) => a[0] - b[0]).map(([, body]) => body)),
  };
}

/** `total` bytes of a repeating pattern, in chunks of `chunk` bytes, hashed as they are read. */
function patternStream(total: number, chunk: number) {
  const hash = createHash('sha256');
  const block = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) block[i] = (i * 31 + 7) & 0xff;
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - sent);
      // A fresh view per push: the loop copies it, so the block itself may be reused.
      const piece = Buffer.from(block.subarray(0, n));
      piece[0] = sent & 0xff; // positions differ, so a misplaced chunk changes the digest
      hash.update(piece);
      sent += n;
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

function run(
  recorder: ReturnType<typeof recordingClient>,
  body: Readable,
  extra: Partial<Parameters<typeof uploadStream>[0]> = {},
) {
  return uploadStream({
    client: recorder.client,
    commands: sdk,
    bucket: 'b',
    key: 'k',
    body,
    contentType: 'application/octet-stream',
    partSize: 1000,
    queueSize: 2,
    tooLarge: (bytes) => new Error(`too large at ${bytes}`),
    ...extra,
  });
}

describe('partSizeOf', () => {
  it('keeps partSize for parts 1-1000 and doubles every 1000 parts, at most 5 GiB', () => {
    expect(partSizeOf(1, 8)).toBe(8);
    expect(partSizeOf(PARTS_PER_SIZE_STEP, 8)).toBe(8);
    expect(partSizeOf(PARTS_PER_SIZE_STEP + 1, 8)).toBe(16);
    expect(partSizeOf(2 * PARTS_PER_SIZE_STEP + 1, 8)).toBe(32);
    expect(partSizeOf(MAX_PARTS, 8)).toBe(8 * 2 ** 9);
    expect(partSizeOf(MAX_PARTS, 1024 ** 3)).toBe(MAX_PART_SIZE);
    // 8 MiB parts: the 10,000 parts hold 1,000 x 8 MiB x 1,023 bytes.
    let total = 0;
    for (let n = 1; n <= MAX_PARTS; n++) total += partSizeOf(n, 8 * 1024 * 1024);
    expect(total).toBe(1000 * 8 * 1024 * 1024 * 1023);
  });
});

describe('uploadStream', () => {
  it('sends a body that fits the first part with one PutObject', async () => {
    const recorder = recordingClient();
    const source = patternStream(700, 64);
    const progress: number[] = [];
    expect(await run(recorder, source.stream, { onProgress: (b) => progress.push(b) })).toBe(700);
    expect(recorder.names()).toEqual(['PutObjectCommand']);
    expect(createHash('sha256').update(recorder.single()!).digest('hex')).toBe(source.digest());
    expect(progress).toEqual([700]);
  });

  it('sends an empty body as an empty PutObject', async () => {
    const recorder = recordingClient();
    expect(await run(recorder, Readable.from([]))).toBe(0);
    expect(recorder.names()).toEqual(['PutObjectCommand']);
    expect(recorder.single()!.length).toBe(0);
  });

  it('uploads parts in order with reused buffers, at most queueSize in flight, and completes with every ETag', async () => {
    const recorder = recordingClient({ partDelayMs: 2 });
    const source = patternStream(25_500, 333); // chunks straddle part boundaries
    const progress: number[] = [];
    expect(await run(recorder, source.stream, { onProgress: (b) => progress.push(b) })).toBe(25_500);
    const names = recorder.names();
    expect(names[0]).toBe('CreateMultipartUploadCommand');
    expect(names.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(names.filter((n) => n === 'UploadPartCommand')).toHaveLength(26);
    expect(recorder.bodies.get(26)!.length).toBe(500); // the short last part
    expect(createHash('sha256').update(recorder.stored()).digest('hex')).toBe(source.digest());
    const complete = recorder.calls.at(-1)!.input['MultipartUpload'] as {
      Parts: { PartNumber: number; ETag: string }[];
    };
    expect(complete.Parts.map((p) => p.PartNumber)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(complete.Parts.every((p) => p.ETag === `"etag-${p.PartNumber}"`)).toBe(true);
    expect(recorder.maxInFlight()).toBeLessThanOrEqual(2);
    // queueSize in flight + one being filled: never more than 3 part buffers.
    expect(recorder.bodyBuffers.size).toBeLessThanOrEqual(3);
    expect(progress.at(-1)).toBe(25_500);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('doubles the part size after 1000 parts', async () => {
    const recorder = recordingClient();
    const total = PARTS_PER_SIZE_STEP * 100 + 3 * 200 + 50;
    const source = patternStream(total, 4096);
    expect(await run(recorder, source.stream, { partSize: 100 })).toBe(total);
    expect(recorder.bodies.get(PARTS_PER_SIZE_STEP)!.length).toBe(100);
    expect(recorder.bodies.get(PARTS_PER_SIZE_STEP + 1)!.length).toBe(200);
    expect(recorder.bodies.get(PARTS_PER_SIZE_STEP + 4)!.length).toBe(50);
    expect(recorder.bodies.size).toBe(PARTS_PER_SIZE_STEP + 4);
    expect(createHash('sha256').update(recorder.stored()).digest('hex')).toBe(source.digest());
  });

  it('fails with tooLarge beyond 10,000 parts and aborts the upload', async () => {
    const recorder = recordingClient();
    let capacity = 0;
    for (let n = 1; n <= MAX_PARTS; n++) capacity += partSizeOf(n, 1);
    const source = patternStream(capacity + 1, 65_536);
    const error = (await run(recorder, source.stream, { partSize: 1 }).catch(
      (e: unknown) => e,
    )) as UploadStreamError;
    expect(error.name).toBe('UploadStreamError');
    expect(error.fromSource).toBe(true);
    expect((error.cause as Error).message).toBe(`too large at ${capacity + 1}`);
    expect(recorder.names().at(-1)).toBe('AbortMultipartUploadCommand');
    expect(recorder.names()).not.toContain('CompleteMultipartUploadCommand');
  }, 60_000);

  it('a failed part stops reading, waits for the parts in flight and aborts; the error is not the source', async () => {
    const recorder = recordingClient({ failPart: 3, partDelayMs: 2 });
    const source = patternStream(1_000_000, 500);
    const error = (await run(recorder, source.stream).catch((e: unknown) => e)) as UploadStreamError;
    expect(error.fromSource).toBe(false);
    expect((error.cause as Error).name).toBe('InternalError');
    expect(error.leftover).toBeUndefined();
    expect(recorder.names().at(-1)).toBe('AbortMultipartUploadCommand');
    expect(recorder.names()).not.toContain('CompleteMultipartUploadCommand');
    expect(recorder.bodies.size).toBeLessThan(10); // stopped reading soon after the failure
    expect(source.stream.destroyed).toBe(true);
  });

  it('a failing body is reported as the source, and a refused abort is reported as leftover', async () => {
    const recorder = recordingClient({ failAbort: true });
    let pushed = 0;
    const body = new Readable({
      read() {
        if (pushed++ < 5) this.push(Buffer.alloc(700, 1));
        else this.destroy(new Error('pg_dump exited with code 1'));
      },
    });
    const error = (await run(recorder, body).catch((e: unknown) => e)) as UploadStreamError;
    expect(error.fromSource).toBe(true);
    expect((error.cause as Error).message).toBe('pg_dump exited with code 1');
    expect(error.leftover?.uploadId).toBe('upload-1');
    expect((error.leftover!.error as Error).name).toBe('AccessDenied');
  });

  it('the signal cancels reading and the parts in flight, then aborts the upload', async () => {
    const recorder = recordingClient({ partDelayMs: 50 });
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(2500, 2)); // two full parts, then the body stalls
    setTimeout(() => controller.abort(new Error('SIGTERM')), 20);
    const error = (await run(recorder, source, { signal: controller.signal }).catch(
      (e: unknown) => e,
    )) as UploadStreamError;
    expect(error.fromSource).toBe(false);
    expect(recorder.names().at(-1)).toBe('AbortMultipartUploadCommand');
    expect(source.destroyed).toBe(true);
  });
});
