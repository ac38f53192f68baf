import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TransformOptions } from 'node:stream';
import { compileFunction } from 'node:vm';
import S3rver from 's3rver';

/** What {@link S3rverInstance.storageOptions} returns: a subset of `S3StorageOptions`. */
export interface S3rverStorageOptions {
  bucket: string;
  prefix: string;
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** A running s3rver (an S3 server on npm), in-process, on a free port. */
export interface S3rverInstance {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps objects on disk. */
  directory: string;
  /**
   * Wall time s3rver spent answering each kind of request since start (or the last `reset`), keyed
   * by S3 operation name (`UploadPart`, `CompleteMultipartUpload`, `PutObject`, `GetObject`, ...;
   * see {@link s3OperationOf}): `count` requests, `ms` summed milliseconds from request start to
   * the end of s3rver's handler. Benchmarks use it to show server-side costs such as
   * CompleteMultipartUpload, which s3rver implements by copying every part into a new file.
   */
  requestTimings(options?: { reset?: boolean }): Record<string, { count: number; ms: number }>;
  /**
   * Options for `new S3Storage(...)` (`@backup/core`) against this server: its bucket, endpoint
   * and region, path-style requests (s3rver has no virtual-hosted buckets) and its fixed
   * credentials, under `prefix` (default `agentic`, the seeds' layout; `''` for the bucket root).
   */
  storageOptions(prefix?: string): S3rverStorageOptions;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  getBucket(bucket: string): Promise<object | null>;
  /** `<directory>/<bucket>/<key dirs>/<name>._S3rver_<resource>`; `uploads` holds multipart uploads. */
  getResourcePath(bucket: string, key: string, resource: string): string;
}

/**
 * The S3 operation a request is, from its method and query (S3 API reference, "Actions"):
 * `?uploads` POST = CreateMultipartUpload, `?uploadId` POST = CompleteMultipartUpload, PUT with
 * `?partNumber` = UploadPart, DELETE with `?uploadId` = AbortMultipartUpload; otherwise the plain
 * verb on a key (`PutObject`, `GetObject`, `HeadObject`, `DeleteObject`) or on a bucket (`ListObjects`,
 * `HeadBucket`, `BucketRequest`).
 */
export function s3OperationOf(method: string, path: string, query: Record<string, unknown>): string {
  const onKey = path.split('/').filter(Boolean).length > 1;
  if (method === 'POST' && 'uploads' in query) return 'CreateMultipartUpload';
  if (method === 'POST' && 'uploadId' in query) return 'CompleteMultipartUpload';
  if (method === 'POST' && 'delete' in query) return 'DeleteObjects';
  if (method === 'PUT' && 'partNumber' in query) return 'UploadPart';
  if (method === 'DELETE' && 'uploadId' in query) return 'AbortMultipartUpload';
  if (!onKey) return method === 'GET' ? 'ListObjects' : method === 'HEAD' ? 'HeadBucket' : 'BucketRequest';
  const verbs: Record<string, string> = {
    PUT: 'PutObject',
    GET: 'GetObject',
    HEAD: 'HeadObject',
    DELETE: 'DeleteObject',
  };
  return verbs[method] ?? `${method}Object`;
}

/** Times every request by {@link s3OperationOf} into `timings` (first middleware: the whole handler). */
function requestTimer(timings: Map<string, { count: number; ms: number }>): KoaMiddleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const name = s3OperationOf(ctx.method, ctx.path, ctx.query);
      const entry = timings.get(name) ?? { count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += performance.now() - started;
      timings.set(name, entry);
    }
  };
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** s3rver's account for the `S3RVER` key (lib/models/account.js DUMMY_ACCOUNT). */
const S3RVER_ACCOUNT = { id: '123456789000', displayName: 'S3rver' };

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch] ?? ch,
  );
}

/** `<tag>text</tag>`, escaped; `<tag/>` for an empty text. */
function element(tag: string, text: string | number | boolean): string {
  const value = String(text);
  return value === '' ? `<${tag}/>` : `<${tag}>${escapeXml(value)}</${tag}>`;
}

/** An S3 error response: `<Error><Code/><Message/>...details</Error>` (API reference "Error responses"). */
function sendError(
  ctx: KoaContext,
  status: number,
  code: string,
  message: string,
  details: Record<string, string> = {},
): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body =
    `${XML_DECLARATION}<Error>${element('Code', code)}${element('Message', message)}` +
    `${Object.entries(details)
      .map(([tag, text]) => element(tag, text))
      .join('')}</Error>`;
}

/** Splits a path-style request path `/bucket/key...` (the harness gives out path-style endpoints). */
function bucketAndKey(path: string): { bucket: string; key: string } {
  const [, bucket = '', ...rest] = path.split('/');
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')) };
}

function queryValue(ctx: KoaContext, name: string): string | undefined {
  const value = ctx.query[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * s3rver ignores `If-None-Match: *` on PutObject. AWS S3 (since 2024-08), MinIO and Garage honour
 * it: a PUT of an existing key fails with 412 PreconditionFailed. This middleware adds exactly that
 * to s3rver, serialising conditional PUTs per key so the check-then-write is atomic here.
 */
function conditionalWrites(store: S3rverStore): KoaMiddleware {
  const locks = new Map<string, Promise<void>>();
  return async (ctx, next) => {
    if (ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*') return next();
    const [, bucket, ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!bucket || !key) return next();
    const id = `${bucket}/${key}`;
    const previous = locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => {
      release = r;
    });
    const chained = previous.then(() => current);
    locks.set(id, chained);
    await previous;
    try {
      if (await store.existsObject(bucket, key)) {
        sendError(
          ctx,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          {
            Condition: 'If-None-Match',
            Resource: `/${id}`,
          },
        );
        return;
      }
      await next();
    } finally {
      release();
      if (locks.get(id) === chained) locks.delete(id);
    }
  };
}

/** An in-progress multipart upload as s3rver 3.7 stores it (lib/stores/filesystem.js initiateUpload). */
interface PendingUpload {
  key: string;
  uploadId: string;
  initiated: Date;
  storageClass: string;
}

/** s3rver's upload ids are 16 random bytes in hex; anything else names no upload (and no path). */
const UPLOAD_ID = /^[0-9a-f]+$/;

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * s3rver keeps each upload in `<bucket>/._S3rver_uploads/<uploadId>/`: a `key` file, a `metadata`
 * file (the CreateMultipartUpload request headers) and one file per part. The `key` file is written
 * once, at initiation, so its mtime is the upload's initiation time.
 */
async function readUpload(
  store: S3rverStore,
  bucket: string,
  uploadId: string,
): Promise<PendingUpload | undefined> {
  if (!UPLOAD_ID.test(uploadId)) return undefined;
  const dir = join(store.getResourcePath(bucket, '', 'uploads'), uploadId);
  try {
    const [key, info, metadata] = await Promise.all([
      readFile(join(dir, 'key'), 'utf8'),
      stat(join(dir, 'key')),
      readFile(join(dir, 'metadata'), 'utf8').then(
        (json) => JSON.parse(json) as Record<string, unknown>,
        () => ({}) as Record<string, unknown>,
      ),
    ]);
    const storageClass = metadata['x-amz-storage-class'];
    return {
      key,
      uploadId,
      initiated: info.mtime,
      storageClass: typeof storageClass === 'string' ? storageClass : 'STANDARD',
    };
  } catch (error) {
    if (isNotFound(error)) return undefined; // not (or no longer) there
    throw error;
  }
}

async function readUploads(store: S3rverStore, bucket: string): Promise<PendingUpload[]> {
  let ids: string[];
  try {
    ids = await readdir(store.getResourcePath(bucket, '', 'uploads'));
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const uploads = await Promise.all(ids.map((id) => readUpload(store, bucket, id)));
  return uploads.filter((upload): upload is PendingUpload => upload !== undefined);
}

const NO_SUCH_BUCKET = 'The specified bucket does not exist';
const NO_SUCH_UPLOAD =
  'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload ' +
  'might have been aborted or completed.';

/** Per upload id: UploadPart requests being handled, and whether an abort has begun. */
interface UploadActivity {
  parts: number;
  aborting: boolean;
  /** Resolved when `parts` drops to 0. */
  idle: Array<() => void>;
}

/**
 * UploadPart (`PUT /bucket/key?partNumber=N&uploadId=ID`) for an upload that does not exist, was
 * started for another key, or is being aborted: 404 NoSuchUpload, as on S3. s3rver 3.7 itself
 * creates the upload's directory for any id (`putPart` runs `mkdirp`), so a part that arrived
 * after an abort would bring the aborted upload back as a directory of stray parts. Counts the
 * part requests it lets through, so an abort can wait for them ({@link abortMultipartUpload}).
 */
function uploadPartGuard(store: S3rverStore, activity: Map<string, UploadActivity>): KoaMiddleware {
  return async (ctx, next) => {
    const uploadId = queryValue(ctx, 'uploadId');
    if (ctx.method !== 'PUT' || uploadId === undefined || queryValue(ctx, 'partNumber') === undefined) {
      return next();
    }
    const { bucket, key } = bucketAndKey(ctx.path);
    if (!bucket || !key) return next();
    const upload = activity.get(uploadId)?.aborting ? undefined : await readUpload(store, bucket, uploadId);
    // Checked again after the await: an abort may have begun meanwhile.
    if (!upload || upload.key !== key || activity.get(uploadId)?.aborting) {
      sendError(ctx, 404, 'NoSuchUpload', NO_SUCH_UPLOAD, { UploadId: uploadId });
      return;
    }
    const state = activity.get(uploadId) ?? { parts: 0, aborting: false, idle: [] };
    activity.set(uploadId, state);
    state.parts += 1;
    try {
      await next();
    } finally {
      state.parts -= 1;
      if (state.parts === 0) {
        for (const resolve of state.idle.splice(0)) resolve();
        if (!state.aborting) activity.delete(uploadId);
      }
    }
  };
}

/**
 * AbortMultipartUpload (`DELETE /bucket/key?uploadId=ID`), which s3rver 3.7 answers with 405
 * MethodNotAllowed (lib/routes.js routes no DELETE with `?uploadId`). As in the S3 API reference:
 * the upload's parts are removed (its directory, as s3rver itself does after
 * CompleteMultipartUpload) and the answer is 204 No Content; an unknown id, or one started for
 * another key, is 404 NoSuchUpload. From the moment the abort begins, new parts of the upload get
 * 404 NoSuchUpload ({@link uploadPartGuard}); parts already being received are waited for (at most
 * 10 s, e.g. a client that cancelled its request mid-body) before the directory is removed, so a
 * part write cannot land in, or re-create, a removed upload.
 */
function abortMultipartUpload(store: S3rverStore, activity: Map<string, UploadActivity>): KoaMiddleware {
  return async (ctx, next) => {
    const uploadId = queryValue(ctx, 'uploadId');
    if (ctx.method !== 'DELETE' || uploadId === undefined) return next();
    const { bucket, key } = bucketAndKey(ctx.path);
    if (!bucket || !key) return next();
    if (!(await store.getBucket(bucket))) {
      sendError(ctx, 404, 'NoSuchBucket', NO_SUCH_BUCKET, { BucketName: bucket });
      return;
    }
    const upload = await readUpload(store, bucket, uploadId);
    if (!upload || upload.key !== key || activity.get(uploadId)?.aborting) {
      sendError(ctx, 404, 'NoSuchUpload', NO_SUCH_UPLOAD, { UploadId: uploadId });
      return;
    }
    const state = activity.get(uploadId) ?? { parts: 0, aborting: false, idle: [] };
    activity.set(uploadId, state);
    state.aborting = true;
    try {
      if (state.parts > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => state.idle.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 10_000);
          }),
        ]);
        clearTimeout(timer);
      }
      await rm(join(store.getResourcePath(bucket, '', 'uploads'), uploadId), {
        recursive: true,
        force: true,
        maxRetries: 5,
        retryDelay: 20,
      });
    } finally {
      activity.delete(uploadId);
    }
    ctx.status = 204;
  };
}

/** Orders keys by their UTF-8 bytes, as S3 lists them. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * S3's `encoding-type=url` for keys and prefixes: form encoding (space as `+`, `~` encoded) with `/`
 * and `*` left as they are, as S3 answers (and MinIO, which copies it, documents in s3URLEncode).
 */
function encodeUrl(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+');
}

/**
 * ListMultipartUploads (`GET /bucket?uploads`), which s3rver 3.7 answers with 501 NotImplemented.
 * Answers S3's `ListMultipartUploadsResult` (API reference "ListMultipartUploads"): uploads sorted by
 * key, then by initiation time; with `prefix`, `delimiter` (CommonPrefixes), `key-marker` /
 * `upload-id-marker`, `max-uploads` (default and cap 1000) and `encoding-type=url`.
 */
function listMultipartUploads(store: S3rverStore): KoaMiddleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || !('uploads' in ctx.query)) return next();
    const { bucket, key } = bucketAndKey(ctx.path);
    if (!bucket || key) return next();
    if (!(await store.getBucket(bucket))) {
      sendError(ctx, 404, 'NoSuchBucket', NO_SUCH_BUCKET, { BucketName: bucket });
      return;
    }
    const prefix = queryValue(ctx, 'prefix') ?? '';
    const delimiter = queryValue(ctx, 'delimiter') ?? '';
    const keyMarker = queryValue(ctx, 'key-marker') ?? '';
    const uploadIdMarker = keyMarker ? (queryValue(ctx, 'upload-id-marker') ?? '') : '';
    const encodingType = queryValue(ctx, 'encoding-type');
    const maxUploadsArg = queryValue(ctx, 'max-uploads') ?? '1000';
    if (!/^\d+$/.test(maxUploadsArg) || Number(maxUploadsArg) > 2147483647) {
      sendError(
        ctx,
        400,
        'InvalidArgument',
        'Argument max-uploads must be an integer between 0 and 2147483647',
        {
          ArgumentName: 'max-uploads',
          ArgumentValue: maxUploadsArg,
        },
      );
      return;
    }
    if (encodingType !== undefined && encodingType !== 'url') {
      sendError(ctx, 400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', {
        ArgumentName: 'encoding-type',
        ArgumentValue: encodingType,
      });
      return;
    }
    const maxUploads = Math.min(1000, Number(maxUploadsArg));
    const encode = encodingType === 'url' ? encodeUrl : (text: string) => text;

    const all = (await readUploads(store, bucket))
      .filter((upload) => upload.key.startsWith(prefix))
      .sort(
        (a, b) =>
          compareKeys(a.key, b.key) ||
          a.initiated.getTime() - b.initiated.getTime() ||
          compareKeys(a.uploadId, b.uploadId),
      );
    // Where the listing starts: after the key marker, or after the marked upload of that key.
    let start = 0;
    if (keyMarker) {
      const marked = uploadIdMarker
        ? all.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker)
        : -1;
      start =
        marked >= 0
          ? marked + 1
          : all.findIndex((u) =>
              uploadIdMarker
                ? compareKeys(u.key, keyMarker) > 0 || (u.key === keyMarker && u.uploadId > uploadIdMarker)
                : compareKeys(u.key, keyMarker) > 0,
            );
      if (start < 0) start = all.length;
    }
    const commonPrefixOf = (upload: PendingUpload): string | undefined => {
      if (!delimiter) return undefined;
      const at = upload.key.indexOf(delimiter, prefix.length);
      return at < 0 ? undefined : upload.key.slice(0, at + delimiter.length);
    };

    const entries: ({ upload: PendingUpload } | { commonPrefix: string })[] = [];
    let isTruncated = false;
    for (const upload of all.slice(start)) {
      const commonPrefix = commonPrefixOf(upload);
      // A common prefix as key marker (a NextKeyMarker) resumes after all of its uploads.
      if (commonPrefix !== undefined && commonPrefix === keyMarker) continue;
      const last = entries.at(-1);
      if (commonPrefix !== undefined && last && 'commonPrefix' in last && last.commonPrefix === commonPrefix)
        continue;
      if (entries.length === maxUploads) {
        isTruncated = true;
        break;
      }
      entries.push(commonPrefix === undefined ? { upload } : { commonPrefix });
    }
    const last = entries.at(-1);
    const nextKeyMarker = !last ? '' : 'upload' in last ? last.upload.key : last.commonPrefix;
    const nextUploadIdMarker = last && 'upload' in last ? last.upload.uploadId : '';
    const owner = `${element('ID', S3RVER_ACCOUNT.id)}${element('DisplayName', S3RVER_ACCOUNT.displayName)}`;

    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body =
      `${XML_DECLARATION}<ListMultipartUploadsResult xmlns="${S3_NAMESPACE}">` +
      element('Bucket', bucket) +
      element('KeyMarker', encode(keyMarker)) +
      element('UploadIdMarker', uploadIdMarker) +
      element('NextKeyMarker', encode(nextKeyMarker)) +
      element('NextUploadIdMarker', nextUploadIdMarker) +
      (delimiter ? element('Delimiter', encode(delimiter)) : '') +
      element('Prefix', encode(prefix)) +
      element('MaxUploads', maxUploads) +
      element('IsTruncated', isTruncated) +
      entries
        .filter((entry) => 'upload' in entry)
        .map(
          ({ upload }) =>
            '<Upload>' +
            element('Key', encode(upload.key)) +
            element('UploadId', upload.uploadId) +
            `<Initiator>${owner}</Initiator><Owner>${owner}</Owner>` +
            element('StorageClass', upload.storageClass) +
            element('Initiated', upload.initiated.toISOString()) +
            '</Upload>',
        )
        .join('') +
      entries
        .filter((entry) => 'commonPrefix' in entry)
        .map(
          ({ commonPrefix }) => `<CommonPrefixes>${element('Prefix', encode(commonPrefix))}</CommonPrefixes>`,
        )
        .join('') +
      (encodingType ? element('EncodingType', encodingType) : '') +
      '</ListMultipartUploadsResult>';
  };
}

const requireHere = createRequire(import.meta.url);
const TRIPLE_DES_TOKENS = Symbol.for('@backup/test-services: s3rver continuation tokens via 3DES');

/**
 * s3rver 3.7 encrypts ListObjectsV2 continuation tokens with single DES (lib/controllers/bucket.js,
 * generateContinuationToken / decipherContinuationToken: `crypto.createCipheriv('des', ...)`).
 * OpenSSL 3 (Node >= 17) has DES only in its legacy provider, so without
 * `--openssl-legacy-provider` every truncated listing (more than 1000 keys, or `max-keys`) fails with
 * 500 InternalError "digital envelope routines::unsupported".
 *
 * Single DES with key K is 3DES-EDE with keys K, K, K (E_K(D_K(E_K(x))) = E_K(x)), which the default
 * provider has: tokens are byte-identical. The fix is scoped to s3rver: global `crypto` is left alone.
 * s3rver's bucket controller is evaluated once more from its own source, with a `require` that
 * hands it a `crypto` whose createCipheriv/createDecipheriv map exactly `des` / `des-cbc` to
 * `des-ede3-cbc` (everything else delegates to node:crypto), and its exports replace those of the
 * loaded controller: s3rver's router calls the controller through that exports object
 * (`bucketCtrl.getBucket(ctx)`), so listings use the new functions. The controller's other
 * requires resolve to s3rver's already loaded modules (same S3Error class). Idempotent per process.
 */
function tripleDesContinuationTokens(): void {
  const requireS3rver = createRequire(requireHere.resolve('s3rver'));
  const file = requireS3rver.resolve('./controllers/bucket.js');
  const controller = requireS3rver(file) as Record<string | symbol, unknown>;
  if (controller[TRIPLE_DES_TOKENS]) return;

  const viaTripleDes = (algorithm: string, key: crypto.CipherKey) =>
    ['des', 'des-cbc'].includes(algorithm.toLowerCase()) && Buffer.isBuffer(key) && key.length === 8
      ? { algorithm: 'des-ede3-cbc', key: Buffer.concat([key, key, key]) }
      : undefined;
  const s3rverCrypto = Object.create(crypto, {
    createCipheriv: {
      value: (
        algorithm: string,
        key: crypto.CipherKey,
        iv: crypto.BinaryLike | null,
        options?: TransformOptions,
      ) => {
        const des = viaTripleDes(algorithm, key);
        return des
          ? crypto.createCipheriv(des.algorithm, des.key, iv)
          : crypto.createCipheriv(algorithm, key, iv, options);
      },
    },
    createDecipheriv: {
      value: (
        algorithm: string,
        key: crypto.CipherKey,
        iv: crypto.BinaryLike | null,
        options?: TransformOptions,
      ) => {
        const des = viaTripleDes(algorithm, key);
        return des
          ? crypto.createDecipheriv(des.algorithm, des.key, iv)
          : crypto.createDecipheriv(algorithm, key, iv, options);
      },
    },
  }) as typeof crypto;

  const requireFromController = createRequire(file);
  const scopedRequire = (id: string): unknown =>
    id === 'crypto' || id === 'node:crypto' ? s3rverCrypto : requireFromController(id);
  const module = { exports: {} as Record<string, unknown> };
  compileFunction(readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: file,
  }).call(module.exports, module.exports, scopedRequire, module, file, dirname(file));
  Object.assign(controller, module.exports, { [TRIPLE_DES_TOKENS]: true });
}

/**
 * Starts s3rver on 127.0.0.1 with a free port and an empty bucket (default `backrest`, as in the
 * seeds). Credentials are s3rver's fixed `S3RVER`/`S3RVER`. Clients must use path-style requests.
 *
 * On top of s3rver 3.7.1, closer to S3:
 * - conditional writes (`If-None-Match: *` on PutObject: 412 PreconditionFailed on an existing key);
 * - ListObjectsV2 pagination on Node >= 17 (continuation tokens via 3DES, see
 *   {@link tripleDesContinuationTokens});
 * - AbortMultipartUpload (204; 404 NoSuchUpload) and ListMultipartUploads
 *   (`ListMultipartUploadsResult`), which s3rver answers with 405 and 501;
 * - UploadPart of an unknown or aborted upload: 404 NoSuchUpload (s3rver stores it anyway), and an
 *   abort waits for the parts being received.
 * The additions are Koa middlewares ahead of s3rver's own (so before its signature check).
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<S3rverInstance> {
  tripleDesContinuationTokens();
  const bucket = options.bucket ?? 'backrest';
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const koa = server as unknown as { middleware: KoaMiddleware[]; store: S3rverStore };
  const timings = new Map<string, { count: number; ms: number }>();
  const uploads = new Map<string, UploadActivity>();
  koa.middleware.unshift(
    requestTimer(timings),
    conditionalWrites(koa.store),
    uploadPartGuard(koa.store, uploads),
    abortMultipartUpload(koa.store, uploads),
    listMultipartUploads(koa.store),
  );
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    bucket,
    region: 'us-east-1',
    ...credentials,
    directory,
    storageOptions(prefix = 'agentic') {
      return {
        bucket,
        prefix,
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { ...credentials },
      };
    },
    requestTimings(options) {
      const result = Object.fromEntries([...timings].map(([name, t]) => [name, { ...t }]));
      if (options?.reset) timings.clear();
      return result;
    },
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
