import { createHash, type Hash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, type S3rverInstance, startS3rver } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupError, isBackupError } from '../src/errors.js';
import { S3Storage, type S3StorageOptions } from '../src/storage/S3Storage.js';
import { describeStorageContract } from '../src/testing/describeStorageContract.js';

const MiB = 1024 * 1024;

function optionsFor(server: S3rverInstance, extra: Partial<S3StorageOptions> = {}): S3StorageOptions {
  return {
    ...server.storageOptions(),
    partSize: 5 * MiB,
    ...extra,
  };
}

/** Where s3rver 3.7 keeps an object's bytes: `<dir>/<bucket>/<key dirs>/<name>._S3rver_object`. */
function objectFile(server: S3rverInstance, objectKey: string): string {
  const parts = objectKey.split('/');
  const name = parts.pop();
  return join(server.directory, server.bucket, ...parts, `${name}._S3rver_object`);
}

/**
 * In-progress multipart uploads of s3rver 3.7 on disk: one directory per upload id, holding its
 * parts, under `<dir>/<bucket>/._S3rver_uploads/`.
 */
async function multipartUploads(server: S3rverInstance): Promise<string[]> {
  try {
    return await readdir(join(server.directory, server.bucket, '._S3rver_uploads'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Sends `chunks` random chunks of 1 MiB, one per read, then fails with "source died". Data flows
 * into the upload before the failure, so with 5 MiB parts a multipart upload is already running.
 */
function failingAfter(chunks: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === chunks) {
        setImmediate(() => this.destroy(new Error('source died')));
      } else {
        sent += 1;
        this.push(randomBytes(MiB));
      }
    },
  });
}

function expectCode(error: unknown, code: BackupError['code']): BackupError {
  expect(isBackupError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  return error as BackupError;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Upload ids and keys that ListMultipartUploads reports (implemented by the test harness). */
async function listedUploads(server: S3rverInstance, storage: S3Storage): Promise<string[]> {
  const { Uploads = [] } = await (await storage.getClient()).send(
    new ListMultipartUploadsCommand({ Bucket: server.bucket }),
  );
  return Uploads.map((upload) => `${upload.Key} ${upload.UploadId}`);
}

/**
 * Records the multipart uploads the server created and the AbortMultipartUpload requests it
 * accepted (an abort answered with an error, e.g. 404 NoSuchUpload, is not recorded).
 */
async function recordMultipart(storage: S3Storage): Promise<{ created: string[]; aborted: string[] }> {
  const created: string[] = [];
  const aborted: string[] = [];
  (await storage.getClient()).middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'CreateMultipartUploadCommand') {
        created.push(String((result.output as { UploadId?: string }).UploadId));
      } else if (context.commandName === 'AbortMultipartUploadCommand') {
        aborted.push(String((args.input as { UploadId?: string }).UploadId));
      }
      return result;
    },
    { step: 'initialize', name: 'recordMultipart' },
  );
  return { created, aborted };
}

/**
 * A pass-through HTTP proxy in front of s3rver that refuses AbortMultipartUpload with 405
 * MethodNotAllowed, as plain s3rver 3.7 does (the test harness implements the abort). Everything
 * else is forwarded unchanged, so the SigV4 signature (host header included) stays valid.
 */
async function startAbortRefusingProxy(server: S3rverInstance) {
  const target = new URL(server.endpoint);
  const proxy = createServer((req, res) => {
    const url = new URL(req.url ?? '/', server.endpoint);
    if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
      req.resume();
      res
        .writeHead(405, { 'content-type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>MethodNotAllowed</Code>' +
            '<Message>The specified method is not allowed against this resource.</Message>' +
            '<Method>DELETE</Method><ResourceType>UPLOADID</ResourceType></Error>',
        );
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      }),
  };
}

/**
 * Full garbage collection on demand, for memory measurements: `--expose-gc` set at run time makes
 * `gc` available in new contexts (node:v8 setFlagsFromString, node:vm runInNewContext).
 */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** `total` random MiB chunks, one per read; `onRead(sentBytes)` runs before each chunk. */
function randomStream(total: number, digest: Hash, onRead: (sent: number) => void = () => {}): Readable {
  let sent = 0;
  return new Readable({
    read() {
      onRead(sent * MiB);
      if (sent === total) {
        this.push(null);
        return;
      }
      sent += 1;
      const chunk = randomBytes(MiB);
      digest.update(chunk);
      this.push(chunk);
    },
  });
}

// First in the file, so that memory freed by the other tests cannot hide growth.
describe('S3Storage memory', () => {
  let server: S3rverInstance;
  let storage: S3Storage;
  beforeAll(async () => {
    server = await startS3rver();
    storage = new S3Storage(optionsFor(server, { partSize: 5 * MiB, queueSize: 2 }));
  });
  afterAll(async () => {
    storage?.destroy();
    await server?.stop();
  });

  it('puts a 64 MiB stream with 5 MiB parts x 2 reading ahead at most 3 parts, RSS growing < 40 MiB', async () => {
    const gc = exposeGc();
    // Warm-up: load and compile the upload path (SDK, s3rver) before measuring.
    await storage.put('memory/warm-up.bin', randomStream(12, createHash('sha256')));
    gc();

    const digest = createHash('sha256');
    let uploaded = 0;
    let readAhead = 0;
    const source = randomStream(64, digest, (sent) => {
      readAhead = Math.max(readAhead, sent - uploaded);
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    // GC while sampling, so RSS shows what the upload holds, not garbage V8 has not collected yet.
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    try {
      const result = await storage.put('memory/64.bin', source, {
        onProgress: (bytes) => {
          uploaded = bytes;
        },
      });
      expect(result.size).toBe(64 * MiB);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);

    // Back-pressure: the source is read at most queueSize parts in flight + 1 part being filled
    // (+ one chunk in each of the two stream buffers) ahead of what S3 has acknowledged.
    expect(readAhead).toBeLessThanOrEqual((2 + 1) * 5 * MiB + 2 * MiB);
    expect((peak - before) / MiB).toBeLessThan(40);

    const stored = createHash('sha256');
    for await (const chunk of await storage.get('memory/64.bin')) stored.update(chunk as Buffer);
    expect(stored.digest('hex')).toBe(digest.digest('hex'));
  }, 180_000); // a full GC every 100 ms is slow on a busy 2-core machine
});

describeStorageContract('s3 (s3rver)', async () => {
  const server = await startS3rver();
  const storage = new S3Storage(optionsFor(server));
  return {
    storage,
    cleanup: async () => {
      storage.destroy();
      await server.stop();
    },
  };
});

describe('S3Storage options', () => {
  it('validates options with CONFIG_INVALID naming the field', () => {
    const cases: [Partial<S3StorageOptions>, string][] = [
      [{ bucket: '' }, 'storage.bucket'],
      [{ bucket: 'b', partSize: 5 * MiB - 1 }, 'storage.partSize'],
      [{ bucket: 'b', queueSize: 0 }, 'storage.queueSize'],
      [{ bucket: 'b', prefix: 'agentic/../etc' }, 'storage.prefix'],
      [{ bucket: 'b', endpoint: 'not a url' }, 'storage.endpoint'],
      [{ bucket: 'b', endpoint: 'ftp://host' }, 'storage.endpoint'],
      [
        { bucket: 'b', client: new S3Client({ region: 'us-east-1' }), endpoint: 'http://x' },
        'storage.endpoint',
      ],
    ];
    for (const [options, field] of cases) {
      let error: unknown;
      try {
        new S3Storage(options as S3StorageOptions);
      } catch (caught) {
        error = caught;
      }
      expect(expectCode(error, 'CONFIG_INVALID').message).toContain(field);
    }
  });

  it('describes itself as s3://bucket/prefix with the default and normalised prefixes, without secrets', () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'very-secret-key' };
    const storages = [
      new S3Storage({ bucket: 'backrest', credentials, endpoint: 'http://user:pw@127.0.0.1:1' }),
      new S3Storage({ bucket: 'backrest', prefix: '/agentic//prod/', credentials }),
      new S3Storage({ bucket: 'backrest', prefix: '', credentials }),
    ];
    expect(storages.map((s) => s.description)).toEqual([
      's3://backrest/agentic',
      's3://backrest/agentic/prod',
      's3://backrest',
    ]);
    expect(storages[0]?.capabilities).toEqual({ atomicCreate: true, rangeRead: true, presignedUrls: false });
    for (const s of storages) s.destroy();
  });
});

describe('S3Storage on s3rver', () => {
  let server: S3rverInstance;
  const storages: S3Storage[] = [];
  const make = (extra: Partial<S3StorageOptions> = {}) => {
    const storage = new S3Storage(optionsFor(server, extra));
    storages.push(storage);
    return storage;
  };

  beforeAll(async () => {
    server = await startS3rver();
  });
  afterAll(async () => {
    for (const storage of storages) storage.destroy();
    await server?.stop();
  });

  it('stores exactly the bytes put, by PutObject and by multipart, without aws-chunked framing', async () => {
    const storage = make();
    const small = randomBytes(1000);
    const large = randomBytes(11 * MiB + 3); // 3 parts of 5 MiB, 5 MiB and 1 MiB + 3
    const progress: number[] = [];
    expect((await storage.put('bytes/small.bin', small)).size).toBe(small.length);
    const result = await storage.put(
      'bytes/large.bin',
      Readable.from(Array.from({ length: 12 }, (_, i) => large.subarray(i * MiB, (i + 1) * MiB))),
      { onProgress: (bytes) => progress.push(bytes) },
    );
    expect(result.size).toBe(large.length);
    expect(progress.at(-1)).toBe(large.length);
    expect(progress.length).toBeGreaterThanOrEqual(3); // one event per part at least

    // What s3rver wrote to disk is the payload itself: no `<hex>;chunk-signature=` lines, no trailer.
    expect((await readFile(objectFile(server, 'agentic/bytes/small.bin'))).equals(small)).toBe(true);
    expect((await readFile(objectFile(server, 'agentic/bytes/large.bin'))).equals(large)).toBe(true);
    expect((await buffer(await storage.get('bytes/large.bin'))).equals(large)).toBe(true);
    expect((await storage.head('bytes/large.bin'))?.size).toBe(large.length);
    expect(await multipartUploads(server)).toEqual([]);
  });

  it('sends no flexible-checksum headers and no aws-chunked bodies (WHEN_REQUIRED)', async () => {
    const storage = make();
    const requests: { command: string; headers: Record<string, string> }[] = [];
    (await storage.getClient()).middlewareStack.add(
      (next, context) => async (args) => {
        const { headers } = args.request as { headers: Record<string, string> };
        requests.push({
          command: context.commandName ?? '?',
          headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
        });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequestHeaders' },
    );
    await storage.put('checksums/big', Readable.from([randomBytes(11 * MiB)]));
    await storage.put('checksums/small', 'small');
    expect(await storage.createExclusive('checksums/lock', 'me')).toBe(true);
    expect((await buffer(await storage.get('checksums/small'))).toString()).toBe('small');

    expect(new Set(requests.map((r) => r.command))).toEqual(
      new Set([
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
        'PutObjectCommand',
        'GetObjectCommand',
      ]),
    );
    for (const { command, headers } of requests) {
      const checksumHeaders = Object.keys(headers).filter(
        (k) =>
          k.startsWith('x-amz-checksum-') || k.startsWith('x-amz-sdk-checksum-') || k === 'x-amz-trailer',
      );
      expect(checksumHeaders, command).toEqual([]);
      expect(headers['content-encoding'] ?? '', command).not.toContain('aws-chunked');
      expect(headers['x-amz-content-sha256'] ?? '', command).not.toMatch(/^STREAMING-/);
    }
  });

  it('keeps prefixes apart: storages with different prefixes on one bucket do not see each other', async () => {
    const agentic = make();
    const other = make({ prefix: 'other/' });
    const root = make({ prefix: '' });
    await agentic.put('job/x', 'A');
    await other.put('job/x', 'B');
    const keys = async (storage: S3Storage, prefix = '') => {
      const found: string[] = [];
      for await (const info of storage.list(prefix)) found.push(info.key);
      return found.sort();
    };
    expect(await keys(agentic, 'job/')).toEqual(['job/x']);
    expect(await keys(other)).toEqual(['job/x']);
    expect((await buffer(await agentic.get('job/x'))).toString()).toBe('A');
    expect((await buffer(await other.get('job/x'))).toString()).toBe('B');
    expect(await keys(root, 'other/')).toEqual(['other/job/x']);
    expect(await keys(root, 'agentic/job/')).toEqual(['agentic/job/x']);

    await agentic.delete(['job/x']);
    expect(await agentic.head('job/x')).toBeUndefined();
    expect((await buffer(await other.get('job/x'))).toString()).toBe('B');
    expect(await agentic.createExclusive('job/x', 'C')).toBe(true);
    expect(await other.createExclusive('job/x', 'D')).toBe(false);
  });

  it('resolves the region from the AWS chain, else us-east-1, when none is given', async () => {
    const { region: _omitted, ...rest } = optionsFor(server);
    const storage = new S3Storage(rest);
    storages.push(storage);
    await storage.put('region/x', 'ok');
    expect((await buffer(await storage.get('region/x'))).toString()).toBe('ok');
    expect(typeof (await (await storage.getClient()).config.region())).toBe('string');
  });

  it('maps an unsatisfiable range to CONFIG_INVALID and a missing key to NOT_FOUND', async () => {
    const storage = make();
    await storage.put('range/x', '0123456789');
    expectCode(await rejection(storage.get('range/x', { range: { start: 20, end: 30 } })), 'CONFIG_INVALID');
    expectCode(await rejection(storage.get('range/x', { range: { start: 5, end: 2 } })), 'CONFIG_INVALID');
    expect(expectCode(await rejection(storage.get('range/none')), 'NOT_FOUND').message).toContain(
      'range/none',
    );
  });

  it('says which upload it could not abort when the server refuses AbortMultipartUpload', async () => {
    // The proxy answers AbortMultipartUpload with 405 MethodNotAllowed, so the parts stay.
    const proxy = await startAbortRefusingProxy(server);
    try {
      const storage = make({ endpoint: proxy.endpoint });
      const before = await multipartUploads(server);
      const error = expectCode(await rejection(storage.put('refused/x', failingAfter(12))), 'SOURCE_FAILED');
      const uploadId = error.details['uploadId'];
      expect(typeof uploadId).toBe('string');
      expect(error.message).toContain('source died');
      expect(error.message).toContain(`multipart upload ${uploadId}`);
      expect(error.message).toContain('could not be aborted');
      expect(error.details['abortError']).toBe('MethodNotAllowed');
      expect((await multipartUploads(server)).filter((id) => !before.includes(id))).toEqual([uploadId]);
      expect(await listedUploads(server, storage)).toContain(`agentic/refused/x ${uploadId}`);
      expect(await storage.head('refused/x')).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it('sends Content-MD5 instead of x-amz-checksum-* headers on DeleteObjects', async () => {
    const seen: Record<string, string>[] = [];
    const bodies: string[] = [];
    const client = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const req = args.request as { headers: Record<string, string>; body: string };
        if (context.commandName === 'DeleteObjectsCommand') {
          seen.push({ ...req.headers });
          bodies.push(req.body);
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordDeleteHeaders' },
    );
    const storage = new S3Storage({ bucket: server.bucket, client, partSize: 5 * MiB });
    await storage.put('md5/a', 'a');
    await storage.delete(['md5/a', 'md5/missing']);
    expect(await storage.head('md5/a')).toBeUndefined();
    expect(seen).toHaveLength(1);
    const headers = Object.fromEntries(Object.entries(seen[0] ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    expect(
      Object.keys(headers).filter(
        (k) => k.startsWith('x-amz-checksum-') || k.startsWith('x-amz-sdk-checksum-'),
      ),
    ).toEqual([]);
    expect(headers['content-md5']).toBe(
      createHash('md5')
        .update(bodies[0] ?? '')
        .digest('base64'),
    );
    client.destroy();
  });

  it('fails fast with STORAGE_UNREACHABLE naming the endpoint when nothing listens', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const storage = make({
      endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'very-secret-key' },
    });
    const started = Date.now();
    const listing = (async () => {
      for await (const _ of storage.list('')) {
        // nothing
      }
    })();
    const errors = [
      await rejection(listing),
      await rejection(storage.put('x/y', 'data')),
      await rejection(storage.head('x/y')),
      await rejection(storage.get('x/y')),
      await rejection(storage.createExclusive('x/lock', 'me')),
    ];
    expect(Date.now() - started).toBeLessThan(5000);
    for (const error of errors) {
      const mapped = expectCode(error, 'STORAGE_UNREACHABLE');
      expect(mapped.message).toContain(endpoint);
      expect(mapped.message).not.toContain('very-secret-key');
      expect((mapped.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    }
  });

  it('throws STORAGE_UNREACHABLE naming a bucket that does not exist', async () => {
    const storage = make({ bucket: 'no-such-bucket' });
    const listing = (async () => {
      for await (const _ of storage.list('')) {
        // nothing
      }
    })();
    const errors = [
      await rejection(listing),
      await rejection(storage.put('x/y', 'data')),
      await rejection(storage.put('x/big', Readable.from([randomBytes(6 * MiB)]))),
      await rejection(storage.get('x/y')),
      await rejection(storage.head('x/y')),
      await rejection(storage.delete(['x/y'])),
      await rejection(storage.createExclusive('x/lock', 'me')),
    ];
    for (const error of errors) {
      const mapped = expectCode(error, 'STORAGE_UNREACHABLE');
      expect(mapped.message).toContain('"no-such-bucket"');
      expect(mapped.message).toContain('does not exist');
    }
  });
});

describe('S3Storage multipart clean-up (s3rver + AbortMultipartUpload)', () => {
  let server: S3rverInstance;
  let storage: S3Storage;
  let multipart: Awaited<ReturnType<typeof recordMultipart>>;

  beforeAll(async () => {
    server = await startS3rver();
    storage = new S3Storage(optionsFor(server));
    multipart = await recordMultipart(storage);
  });
  afterAll(async () => {
    storage?.destroy();
    await server?.stop();
  });

  it('aborts the multipart upload when the body fails, leaving no parts and no object', async () => {
    await storage.put('mp/keep', 'original');
    const error = expectCode(await rejection(storage.put('mp/keep', failingAfter(12))), 'SOURCE_FAILED');
    expect(error.details['uploadId']).toBeUndefined(); // the abort worked: nothing to report
    expect(multipart.created).toHaveLength(1); // a multipart upload was started, then aborted
    expect(multipart.aborted).toEqual(multipart.created);
    expect(await multipartUploads(server)).toEqual([]);
    expect(await listedUploads(server, storage)).toEqual([]);
    expect((await buffer(await storage.get('mp/keep'))).toString()).toBe('original');
  });

  it('aborts the multipart upload on the AbortSignal after parts were uploaded', async () => {
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(randomBytes(11 * MiB)); // two full parts, then the stream stalls
    const abortedBefore = multipart.aborted.length;
    const error = expectCode(
      await rejection(
        storage.put('mp/aborted', source, {
          signal: controller.signal,
          onProgress: (bytes) => {
            if (bytes >= 5 * MiB) controller.abort();
          },
        }),
      ),
      'ABORTED',
    );
    expect(error.details['uploadId']).toBeUndefined();
    expect(multipart.aborted.length).toBe(abortedBefore + 1);
    expect(multipart.aborted.at(-1)).toBe(multipart.created.at(-1));
    expect(await multipartUploads(server)).toEqual([]);
    expect(await listedUploads(server, storage)).toEqual([]);
    expect(await storage.head('mp/aborted')).toBeUndefined();
    expect(source.destroyed).toBe(true);
  });
});
