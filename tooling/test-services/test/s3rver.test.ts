import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3rverInstance, startS3rver } from '../src/s3rver.js';

// Plain fetch with path-style URLs and no Authorization header: s3rver takes unsigned requests.

const { createCipheriv, createDecipheriv } = crypto;

let server: S3rverInstance;
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.stop();
});

const url = (path: string) => `${server.endpoint}/${server.bucket}${path}`;

/** The texts of all `<tag>` elements of an XML body, unescaped (enough for these answers). */
function texts(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>|<${tag}/>`, 'g'))].map((m) =>
    (m[1] ?? '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}
const text = (xml: string, tag: string) => texts(xml, tag)[0];

async function put(key: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url(`/${key}`), { method: 'PUT', body, headers });
  await response.arrayBuffer();
  return response;
}

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url(path));
  return { status: response.status, body: await response.text() };
}

/** Multipart upload ids on disk: s3rver keeps one directory per upload under `._S3rver_uploads`. */
async function uploadsOnDisk(): Promise<string[]> {
  try {
    return await readdir(join(server.directory, server.bucket, '._S3rver_uploads'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function startUpload(key: string): Promise<string> {
  const response = await fetch(url(`/${key}?uploads`), { method: 'POST' });
  const body = await response.text();
  expect(response.status, body).toBe(200);
  const uploadId = text(body, 'UploadId');
  expect(uploadId).toMatch(/^[0-9a-f]{32}$/);
  return uploadId as string;
}

/** Uploads `body` as part 1 of `uploadId` and completes the upload; returns the Complete response. */
async function completeWithOnePart(key: string, uploadId: string, body: string): Promise<Response> {
  const part = await fetch(url(`/${key}?partNumber=1&uploadId=${uploadId}`), { method: 'PUT', body });
  const etag = part.headers.get('etag') ?? '';
  await part.arrayBuffer();
  return fetch(url(`/${key}?uploadId=${uploadId}`), {
    method: 'POST',
    body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
  });
}

describe('ListObjectsV2 pagination (continuation tokens)', () => {
  const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    for (let i = 0; i < keys.length; i += 25) {
      const responses = await Promise.all(keys.slice(i, i + 25).map((key) => put(key, key)));
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    }
  });

  it('lists 1005 keys in two pages of 1000 and 5, following NextContinuationToken', async () => {
    const first = await get('?list-type=2&prefix=many/');
    expect(first.status, first.body).toBe(200);
    expect(text(first.body, 'IsTruncated')).toBe('true');
    expect(text(first.body, 'KeyCount')).toBe('1000');
    const token = text(first.body, 'NextContinuationToken');
    expect(token).toBeTruthy();

    const second = await get(
      `?list-type=2&prefix=many/&continuation-token=${encodeURIComponent(token ?? '')}`,
    );
    expect(second.status, second.body).toBe(200);
    expect(text(second.body, 'IsTruncated')).toBe('false');
    expect(text(second.body, 'NextContinuationToken')).toBeUndefined();
    expect([...texts(first.body, 'Key'), ...texts(second.body, 'Key')]).toEqual(keys);
  });

  it('pages through 10 keys with max-keys=3 in 4 pages', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await get(
        `?list-type=2&prefix=many/099&max-keys=3${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`,
      );
      expect(page.status, page.body).toBe(200);
      seen.push(...texts(page.body, 'Key'));
      token = text(page.body, 'NextContinuationToken');
      pages += 1;
    } while (token && pages < 10);
    expect(seen).toEqual(keys.filter((key) => key.startsWith('many/099')));
    expect(pages).toBe(4); // 10 keys, 3 per page
  });

  it('makes the same tokens as single DES, without patching node:crypto for anyone else', async (context) => {
    expect(crypto.createCipheriv).toBe(createCipheriv);
    expect(crypto.createDecipheriv).toBe(createDecipheriv);

    const page = await get('?list-type=2&prefix=many/&max-keys=2');
    const token = text(page.body, 'NextContinuationToken') ?? '';
    // Decrypt with real single DES in a Node that has OpenSSL's legacy provider.
    const child = spawnSync(
      process.execPath,
      [
        '--openssl-legacy-provider',
        '-e',
        `const c = require('node:crypto'); const b = Buffer.from(process.argv[1], 'base64');
         const d = c.createDecipheriv('des', Buffer.alloc(8, 'S3RVER', 'utf8'), b.subarray(0, 8));
         process.stdout.write(Buffer.concat([d.update(b.subarray(8)), d.final()]).toString('utf8'));`,
        token,
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0 && /unsupported|legacy/i.test(child.stderr)) {
      context.skip(); // this Node build has no legacy provider to compare with
    }
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe(`us-east-1/${server.bucket}/many/0001`);
  });
});

describe('conditional writes (If-None-Match: *)', () => {
  it('creates a new key with 200 and refuses an existing one with 412 PreconditionFailed', async () => {
    expect((await put('cond/new', 'first', { 'if-none-match': '*' })).status).toBe(200);

    const refused = await fetch(url('/cond/new'), {
      method: 'PUT',
      body: 'second',
      headers: { 'if-none-match': '*' },
    });
    const body = await refused.text();
    expect(refused.status).toBe(412);
    expect(refused.headers.get('content-type')).toContain('application/xml');
    expect(text(body, 'Code')).toBe('PreconditionFailed');
    expect(text(body, 'Condition')).toBe('If-None-Match');
    expect(text(body, 'Resource')).toBe(`/${server.bucket}/cond/new`);
    expect((await get('/cond/new')).body).toBe('first');

    // Without the header a PUT still replaces the object.
    expect((await put('cond/new', 'third')).status).toBe(200);
    expect((await get('/cond/new')).body).toBe('third');
  });

  it('lets exactly one of concurrent conditional PUTs of one key win', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put('cond/race', `writer ${i}`, { 'if-none-match': '*' })),
    ).then((responses) => responses.map((r) => r.status).sort());
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
  });
});

describe('multipart uploads: ListMultipartUploads and AbortMultipartUpload', () => {
  it('lists a started upload with its part stored, then aborts it: 204, not listed, no parts on disk', async () => {
    const uploadId = await startUpload('mp/big.bin');
    const part = await fetch(url(`/mp/big.bin?partNumber=1&uploadId=${uploadId}`), {
      method: 'PUT',
      body: 'x'.repeat(1024),
    });
    expect(part.status).toBe(200);
    await part.arrayBuffer();
    expect(await readdir(join(server.directory, server.bucket, '._S3rver_uploads', uploadId))).toContain('1');

    const listed = await get('?uploads');
    expect(listed.status, listed.body).toBe(200);
    expect(listed.body).toContain(
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
    );
    expect(text(listed.body, 'Bucket')).toBe(server.bucket);
    expect(text(listed.body, 'IsTruncated')).toBe('false');
    expect(text(listed.body, 'MaxUploads')).toBe('1000');
    expect(texts(listed.body, 'UploadId')).toContain(uploadId);
    const upload = listed.body.match(
      new RegExp(`<Upload><Key>mp/big.bin</Key><UploadId>${uploadId}</UploadId>.*?</Upload>`),
    )?.[0];
    expect(upload).toBeDefined();
    expect(text(upload ?? '', 'StorageClass')).toBe('STANDARD');
    expect(Math.abs(Date.parse(text(upload ?? '', 'Initiated') ?? '') - Date.now())).toBeLessThan(60_000);
    expect(upload).toContain('<Initiator><ID>123456789000</ID><DisplayName>S3rver</DisplayName></Initiator>');
    expect(upload).toContain('<Owner><ID>123456789000</ID><DisplayName>S3rver</DisplayName></Owner>');

    const aborted = await fetch(url(`/mp/big.bin?uploadId=${uploadId}`), { method: 'DELETE' });
    expect(aborted.status).toBe(204);
    expect(await aborted.text()).toBe('');

    expect(texts((await get('?uploads')).body, 'UploadId')).not.toContain(uploadId);
    expect(await uploadsOnDisk()).not.toContain(uploadId);
    expect((await get('/mp/big.bin')).status).toBe(404);

    // Aborting again: 404 NoSuchUpload naming the id, in S3's error shape.
    const again = await fetch(url(`/mp/big.bin?uploadId=${uploadId}`), { method: 'DELETE' });
    const body = await again.text();
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toContain('application/xml');
    expect(body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error>/);
    expect(text(body, 'Code')).toBe('NoSuchUpload');
    expect(text(body, 'Message')).toContain('The specified multipart upload does not exist');
    expect(text(body, 'UploadId')).toBe(uploadId);
  });

  it('answers 404 NoSuchUpload for an unknown id, an id of another key, or an id that is a path', async () => {
    const uploadId = await startUpload('mp/mine');
    for (const [key, id] of [
      ['mp/mine', '0123456789abcdef0123456789abcdef'],
      ['mp/other', uploadId],
      ['mp/mine', '..'],
    ] as const) {
      const response = await fetch(url(`/${key}?uploadId=${encodeURIComponent(id)}`), { method: 'DELETE' });
      const body = await response.text();
      expect(response.status, `${key} ${id}`).toBe(404);
      expect(text(body, 'Code')).toBe('NoSuchUpload');
    }
    expect(await uploadsOnDisk()).toContain(uploadId);
    const missingBucket = await fetch(`${server.endpoint}/no-such-bucket/x?uploadId=${uploadId}`, {
      method: 'DELETE',
    });
    expect(missingBucket.status).toBe(404);
    expect(text(await missingBucket.text(), 'Code')).toBe('NoSuchBucket');

    expect((await fetch(url(`/mp/mine?uploadId=${uploadId}`), { method: 'DELETE' })).status).toBe(204);
  });

  it('answers UploadPart of an unknown, aborted or other-key upload with 404 NoSuchUpload, storing nothing', async () => {
    const uploadId = await startUpload('mp/late');
    expect((await fetch(url(`/mp/late?uploadId=${uploadId}`), { method: 'DELETE' })).status).toBe(204);
    const other = await startUpload('mp/other-key');
    for (const [key, id] of [
      ['mp/late', uploadId],
      ['mp/late', '0123456789abcdef0123456789abcdef'],
      ['mp/late', other],
    ] as const) {
      const part = await fetch(url(`/${key}?partNumber=1&uploadId=${id}`), { method: 'PUT', body: 'late' });
      expect(part.status, `${key} ${id}`).toBe(404);
      expect(text(await part.text(), 'Code')).toBe('NoSuchUpload');
    }
    expect(await uploadsOnDisk()).not.toContain(uploadId);
    expect(await readdir(join(server.directory, server.bucket, '._S3rver_uploads', other))).not.toContain(
      '1',
    );
    expect((await fetch(url(`/mp/other-key?uploadId=${other}`), { method: 'DELETE' })).status).toBe(204);
  });

  it('waits for a part still being received before it removes an aborted upload', async () => {
    const uploadId = await startUpload('mp/slow');
    let finishBody: (() => void) | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(64 * 1024).fill(1));
        finishBody = () => {
          controller.enqueue(new Uint8Array(64 * 1024).fill(2));
          controller.close();
        };
      },
    });
    const part = fetch(url(`/mp/slow?partNumber=1&uploadId=${uploadId}`), {
      method: 'PUT',
      body,
      duplex: 'half',
    } as RequestInit);
    // The part request is in the server once its directory has the part's file.
    for (
      let i = 0;
      i < 100 &&
      !(await readdir(join(server.directory, server.bucket, '._S3rver_uploads', uploadId))).includes('1');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const abort = fetch(url(`/mp/slow?uploadId=${uploadId}`), { method: 'DELETE' });
    const early = await Promise.race([
      abort.then(() => 'answered'),
      new Promise((r) => setTimeout(r, 300, 'pending')),
    ]);
    expect(early).toBe('pending');
    finishBody!();
    expect((await part).status).toBe(200);
    expect((await abort).status).toBe(204);
    expect(await uploadsOnDisk()).not.toContain(uploadId);
  });

  it('completes an upload as before: the object is stored and the upload is no longer listed', async () => {
    const uploadId = await startUpload('mp/done');
    const completed = await completeWithOnePart('mp/done', uploadId, 'done');
    expect(completed.status, await completed.text()).toBe(200);
    expect((await get('/mp/done')).body).toBe('done');
    expect(texts((await get('?uploads')).body, 'UploadId')).not.toContain(uploadId);
  });

  it('lists with prefix, delimiter (CommonPrefixes), max-uploads pages and encoding-type=url', async () => {
    const ids = {
      'ls/a/1': await startUpload('ls/a/1'),
      'ls/a/2': await startUpload('ls/a/2'),
      'ls/b': await startUpload('ls/b'),
      'ls/c d': await startUpload('ls/c d'),
    };
    const grouped = await get('?uploads&prefix=ls/&delimiter=/');
    expect(text(grouped.body, 'Prefix')).toBe('ls/');
    expect(text(grouped.body, 'Delimiter')).toBe('/');
    expect(texts(grouped.body, 'Key')).toEqual(['ls/b', 'ls/c d']);
    expect(grouped.body).toContain('<CommonPrefixes><Prefix>ls/a/</Prefix></CommonPrefixes>');

    // One per page, resuming at NextKeyMarker / NextUploadIdMarker, visits every upload once.
    const seen: string[] = [];
    let query = '?uploads&prefix=ls/&max-uploads=1';
    for (let page = 0; page < 10; page += 1) {
      const { body } = await get(query);
      expect(text(body, 'MaxUploads')).toBe('1');
      seen.push(...texts(body, 'UploadId'));
      if (text(body, 'IsTruncated') !== 'true') break;
      query =
        `?uploads&prefix=ls/&max-uploads=1&key-marker=${encodeURIComponent(text(body, 'NextKeyMarker') ?? '')}` +
        `&upload-id-marker=${text(body, 'NextUploadIdMarker')}`;
    }
    expect(seen).toEqual(Object.values(ids));

    const encoded = await get('?uploads&prefix=ls/c&encoding-type=url');
    expect(texts(encoded.body, 'Key')).toEqual(['ls/c+d']);
    expect(text(encoded.body, 'Prefix')).toBe('ls/c');
    expect(text(encoded.body, 'EncodingType')).toBe('url');

    expect((await get('?uploads&max-uploads=-1')).status).toBe(400);
    expect((await fetch(`${server.endpoint}/no-such-bucket?uploads`)).status).toBe(404);

    for (const [key, id] of Object.entries(ids)) {
      expect(
        (
          await fetch(url(`/${encodeURIComponent(key).replace(/%2F/g, '/')}?uploadId=${id}`), {
            method: 'DELETE',
          })
        ).status,
      ).toBe(204);
    }
    expect((await get('?uploads&prefix=ls/')).body).not.toContain('<Upload>');
  });
});

describe('requestTimings', () => {
  it('counts and times each S3 operation, and resets on request', async () => {
    server.requestTimings({ reset: true });
    const uploadId = await startUpload('timed/obj');
    const completed = await completeWithOnePart('timed/obj', uploadId, 'x');
    expect(completed.status, await completed.text()).toBe(200);
    await get('/timed/obj');
    await get('/timed/obj');

    const timings = server.requestTimings({ reset: true });
    expect(Object.keys(timings).sort()).toEqual([
      'CompleteMultipartUpload',
      'CreateMultipartUpload',
      'GetObject',
      'UploadPart',
    ]);
    expect(timings['GetObject']!.count).toBe(2);
    expect(timings['UploadPart']!.count).toBe(1);
    for (const t of Object.values(timings)) expect(t.ms).toBeGreaterThan(0);
    expect(server.requestTimings()).toEqual({});
  });

  it('names operations from method, path and query', async () => {
    const { s3OperationOf } = await import('../src/s3rver.js');
    expect(s3OperationOf('PUT', '/b/k', { partNumber: '1', uploadId: 'u' })).toBe('UploadPart');
    expect(s3OperationOf('PUT', '/b/k', {})).toBe('PutObject');
    expect(s3OperationOf('DELETE', '/b/k', { uploadId: 'u' })).toBe('AbortMultipartUpload');
    expect(s3OperationOf('DELETE', '/b/k', {})).toBe('DeleteObject');
    expect(s3OperationOf('POST', '/b', { delete: '' })).toBe('DeleteObjects');
    expect(s3OperationOf('GET', '/b', { 'list-type': '2' })).toBe('ListObjects');
    expect(s3OperationOf('HEAD', '/b', {})).toBe('HeadBucket');
  });
});
