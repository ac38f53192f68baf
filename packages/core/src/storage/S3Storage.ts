import { addAbortSignal, Readable } from 'node:stream';
import type {
  DeleteObjectsCommand,
  DeleteObjectsCommandOutput,
  ListObjectsV2CommandOutput,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import { BackupError } from '../errors.js';
import { assertSafeKey, joinKey } from './keys.js';
import type {
  ByteRange,
  ObjectInfo,
  PutOptions,
  PutResult,
  StorageBackend,
  StorageCapabilities,
} from './StorageBackend.js';
import { MAX_PART_SIZE, MAX_PARTS, type UploadStreamError, uploadStream } from './uploadStream.js';

const MiB = 1024 * 1024;

/** Smallest part S3 accepts, except for the last part (AWS doc "Amazon S3 multipart upload limits"). */
const MIN_PART_SIZE = 5 * MiB;
/** Most keys one DeleteObjects request may name (AWS API reference "DeleteObjects"). */
const DELETE_BATCH = 1000;

/** Node.js socket error codes that mean the endpoint could not be reached at all. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** S3 error codes that mean the credentials or the policy refuse the request. */
const ACCESS_CODES = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
]);

/** Static credentials for {@link S3StorageOptions.credentials}. */
export interface S3StorageCredentials {
  /** Access key id (`AWS_ACCESS_KEY_ID` of the standard chain). */
  accessKeyId: string;
  /** Secret access key. Never logged, never part of `description` or error messages. */
  secretAccessKey: string;
  /** Session token of temporary (STS) credentials. */
  sessionToken?: string;
}

/** Options of {@link S3Storage}. */
export interface S3StorageOptions {
  /** Bucket name (required), e.g. `backrest` as in the seeds. The bucket must exist. */
  bucket: string;
  /**
   * Key prefix inside the bucket: a key `k` is stored as `<prefix>/<k>`. Leading, trailing and
   * doubled slashes are dropped; `''` stores keys at the bucket root. Default `'agentic'` (the
   * seeds' layout `agentic/<engine>/<YYYYMMDD-HHMMSS>/...`). Throws `CONFIG_INVALID` when a segment
   * is `.` or `..`.
   */
  prefix?: string;
  /**
   * Custom endpoint URL for S3-compatible servers (Garage, MinIO, s3rver), e.g.
   * `http://garage.storage:3900`. Default: the AWS S3 endpoint of `region`. Throws
   * `CONFIG_INVALID` when it is not an `http:` or `https:` URL.
   */
  endpoint?: string;
  /**
   * Region to sign requests for (Garage's default is `garage`, MinIO's `us-east-1`). Default: the
   * SDK's standard chain (`AWS_REGION`, then the `region` of the shared config profile), else
   * `us-east-1`.
   */
  region?: string;
  /**
   * Path-style URLs (`<endpoint>/<bucket>/<key>`) instead of virtual-hosted ones
   * (`<bucket>.<endpoint>/<key>`). Garage and MinIO usually need `true`. Default `false`.
   */
  forcePathStyle?: boolean;
  /**
   * Static credentials. Default: the SDK's standard credential chain (environment variables,
   * shared `~/.aws` files, web identity / IRSA, container and instance metadata), resolved by the
   * SDK, never read by this class.
   */
  credentials?: S3StorageCredentials;
  /**
   * Size in bytes of the first 1,000 multipart parts. Default 5 MiB (S3's minimum part size); at
   * least 5 MiB and at most 5 GiB (S3 limits). Parts 1,001-2,000 are twice as large, and so on (at
   * most 5 GiB), so a stream of unknown length fits S3's 10,000 parts up to
   * `1,000 x partSize x 1,023` bytes (4.9 TiB at the default, about S3's 5 TiB object limit); a
   * larger body fails with `CONFIG_INVALID`. A body up to `partSize` bytes is stored with one
   * PutObject. Larger parts mean fewer requests (for high-latency links) at
   * `partSize x (queueSize + 1)` bytes of memory.
   */
  partSize?: number;
  /**
   * Parts uploaded concurrently. Default 2, at least 1. Memory of one `put` is bounded by
   * `partSize x (queueSize + 1)` bytes (reused part buffers: the parts in flight plus the one being
   * filled): 15 MiB at the defaults for objects under 4.9 GiB, which keeps a whole backup run under
   * the 150 MiB RSS target (shared/notes/performance.md); raise it for high-latency links such as
   * AWS across regions.
   */
  queueSize?: number;
  /**
   * Attempts per S3 request, including the first (the SDK's standard retry strategy with
   * exponential backoff). Default: the SDK's default (3, or `AWS_MAX_ATTEMPTS`).
   */
  maxAttempts?: number;
  /**
   * Use this client instead of creating one. The caller then owns its configuration (endpoint,
   * region, credentials, checksum settings) and its life cycle, so `endpoint`, `region`,
   * `forcePathStyle`, `credentials` and `maxAttempts` must not be set with it (`CONFIG_INVALID`).
   * For S3-compatible servers, create it with `requestChecksumCalculation: 'WHEN_REQUIRED'` and
   * `responseChecksumValidation: 'WHEN_REQUIRED'` (see {@link S3Storage}).
   */
  client?: S3Client;
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function errorShape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

function httpStatus(error: unknown): number | undefined {
  return errorShape(error).$metadata?.httpStatusCode;
}

function isAbortError(error: unknown): boolean {
  return errorShape(error).name === 'AbortError';
}

function configError(field: string, message: string): BackupError {
  return new BackupError('CONFIG_INVALID', `storage.${field} ${message}`, { details: { field } });
}

/** `http(s)://host:port/path` without user info, for messages; throws `CONFIG_INVALID`. */
function sanitizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      'storage.endpoint is not a URL: use e.g. http://garage.storage:3900 (type: s3)',
      { cause: error, details: { field: 'endpoint' } },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError('endpoint', `must be an http: or https: URL, got ${url.protocol}`);
  }
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
let sdkModule: Promise<S3Sdk> | undefined;

/**
 * The AWS SDK is loaded on first use, not when `@backup/core` is imported: it costs ~30 MiB of RSS
 * that a backup to a local directory (or a process that never touches S3) should not pay.
 */
function loadSdk(): Promise<S3Sdk> {
  sdkModule ??= import('@aws-sdk/client-s3');
  return sdkModule;
}

let chainRegion: Promise<string> | undefined;

/**
 * The region of the SDK's standard chain (`AWS_REGION`, shared config profile), else `us-east-1`.
 * The SDK resolves it (a throwaway client's `config.region()`, which throws "Region is missing"
 * when the chain has none); this module reads no environment variable itself.
 */
function regionFromChain(): Promise<string> {
  chainRegion ??= (async () => {
    const { S3Client } = await loadSdk();
    const probe = new S3Client({});
    try {
      return await probe.config.region();
    } catch {
      return 'us-east-1';
    } finally {
      probe.destroy();
    }
  })();
  return chainRegion;
}

/**
 * Sends `Content-MD5` instead of the SDK's CRC32 headers on DeleteObjects. S3 requires an integrity
 * header on that call; SDK versions since the 2025 "default integrity protections" send
 * `x-amz-checksum-crc32`, which older MinIO and other S3-compatible servers reject with
 * "Missing required header for this request: Content-MD5". AWS accepts either. Source:
 * aws-sdk-js-v3 `supplemental-docs/MD5_FALLBACK.md`; AWS API reference "DeleteObjects".
 */
function withContentMd5(command: DeleteObjectsCommand): DeleteObjectsCommand {
  command.middlewareStack.addRelativeTo(contentMd5Middleware, {
    name: 'backupContentMd5Middleware',
    relation: 'after',
    toMiddleware: 'flexibleChecksumsMiddleware',
    override: true,
  });
  return command;
}

/** What a build-step middleware sees (`@smithy/types` BuildHandlerArguments, reduced). */
interface BuildArguments {
  input: unknown;
  request: unknown;
}
type StackMiddleware = Parameters<DeleteObjectsCommand['middlewareStack']['addRelativeTo']>[0];

const contentMd5Middleware = ((next: (args: BuildArguments) => Promise<unknown>) =>
  async (args: BuildArguments) => {
    const request = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
    const headers = request?.headers;
    const body = request?.body;
    if (headers && (typeof body === 'string' || body instanceof Uint8Array)) {
      for (const name of Object.keys(headers)) {
        const lower = name.toLowerCase();
        if (lower.startsWith('x-amz-checksum-') || lower.startsWith('x-amz-sdk-checksum-')) {
          delete headers[name];
        }
      }
      headers['content-md5'] = process
        .getBuiltinModule('node:crypto')
        .createHash('md5')
        .update(body)
        .digest('base64');
    }
    return next(args);
  }) as unknown as StackMiddleware;

/**
 * S3 backend (AWS S3, Garage, MinIO, s3rver) on `@aws-sdk/client-s3` v3.
 *
 * - `put` streams through {@link uploadStream} (this package's multipart loop over reused part
 *   buffers): a body up to `partSize` is sent with one PutObject, a larger one as a multipart upload
 *   with `queueSize` parts in flight. S3 makes the object visible only when PutObject or
 *   CompleteMultipartUpload succeeds, so a failed put never replaces an existing object. On failure
 *   the part requests in flight are cancelled and awaited, then the multipart upload is aborted
 *   (API reference "AbortMultipartUpload"; `NoSuchUpload` means "already gone"). If the server
 *   refuses the abort, the error says so and names the upload id.
 * - `createExclusive` is PutObject with `If-None-Match: *` (AWS S3 since 2024-08, user guide
 *   "Conditional writes"): 412 PreconditionFailed means the key exists.
 * - Checksums: the client this class creates sets `requestChecksumCalculation` and
 *   `responseChecksumValidation` to `WHEN_REQUIRED`. Under the SDK's default (`WHEN_SUPPORTED`,
 *   since @aws-sdk/client-s3 v3.729.0, aws-sdk-js-v3 issue #6810), CreateMultipartUpload asks for
 *   CRC32 (`x-amz-checksum-algorithm`), every PutObject/UploadPart carries `x-amz-checksum-crc32` and
 *   `x-amz-sdk-checksum-algorithm`, GetObject sends `x-amz-checksum-mode`, and a stream body goes
 *   out `aws-chunked` with a trailing checksum. s3rver 3.7 stores that framing as object data
 *   (observed with s3rver 3.7.1), and older MinIO and Garage reject or misread these headers.
 *   (parts go out as buffers, so from this class the headers, not the framing,
 *   would reach the server; the test suite asserts that neither does.)
 *   Source: AWS SDKs and Tools reference guide "Data integrity protections for Amazon S3". The
 *   stored bytes are verified end to end by the manifest's sha256 instead.
 * - DeleteObjects, which S3 requires an integrity header for, gets `Content-MD5` instead of the
 *   SDK's CRC32 headers (aws-sdk-js-v3 `supplemental-docs/MD5_FALLBACK.md`).
 *
 * Errors (all with the SDK error as `cause`): `CONFIG_INVALID` (options, unsafe keys, body larger
 * than `partSize x 10,000`), `NOT_FOUND` (`get` of a missing key), `STORAGE_UNREACHABLE` (network
 * errors, timeouts, 403/AccessDenied, NoSuchBucket, missing credentials, other S3 errors; the
 * message names the endpoint and bucket and what to check), `SOURCE_FAILED` (the body stream of a
 * put failed), `ABORTED` (an `AbortSignal` fired).
 */
export class S3Storage implements StorageBackend {
  /** `s3://<bucket>/<prefix>` (or `s3://<bucket>` without prefix); never holds credentials. */
  readonly description: string;
  /** Atomic create (`If-None-Match: *`) and range reads; no presigned URLs (yet). */
  readonly capabilities: StorageCapabilities = { atomicCreate: true, rangeRead: true, presignedUrls: false };
  /** The bucket. */
  readonly bucket: string;
  /** The normalised prefix, without slashes at either end; `''` for the bucket root. */
  readonly prefix: string;
  /** Part size in bytes used by `put`. */
  readonly partSize: number;
  /** Parts in flight per `put`. */
  readonly queueSize: number;
  /** The S3 client (created, or injected through `options.client`). */
  private clientPromise: Promise<S3Client> | undefined;
  private createdClient: S3Client | undefined;
  private readonly clientConfig: S3ClientConfig | undefined;
  private readonly injectedClient: S3Client | undefined;

  private readonly ownsClient: boolean;
  private readonly endpointLabel: string;
  private readonly root: string;
  private bucketChecked = false;

  /** Throws `CONFIG_INVALID` naming the option when an option is missing or out of range. */
  constructor(options: S3StorageOptions) {
    if (!options.bucket) throw configError('bucket', 'is required for type: s3');
    this.bucket = options.bucket;

    const prefix = joinKey(options.prefix ?? 'agentic');
    if (prefix) {
      try {
        assertSafeKey(prefix);
      } catch (error) {
        throw new BackupError(
          'CONFIG_INVALID',
          `storage.prefix "${options.prefix}" is invalid: use /-separated names without . or ..`,
          { cause: error, details: { field: 'prefix' } },
        );
      }
    }
    this.prefix = prefix;
    this.root = prefix ? `${prefix}/` : '';

    this.partSize = options.partSize ?? MIN_PART_SIZE;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw configError(
        'partSize',
        `must be a whole number of bytes from ${MIN_PART_SIZE} (5 MiB) to ${MAX_PART_SIZE} (5 GiB), got ${options.partSize}`,
      );
    }
    this.queueSize = options.queueSize ?? 2;
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1) {
      throw configError('queueSize', `must be a whole number >= 1, got ${options.queueSize}`);
    }
    if (
      options.maxAttempts !== undefined &&
      (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    ) {
      throw configError('maxAttempts', `must be a whole number >= 1, got ${options.maxAttempts}`);
    }

    if (options.client) {
      const clash = (['endpoint', 'region', 'forcePathStyle', 'credentials', 'maxAttempts'] as const).filter(
        (field) => options[field] !== undefined,
      );
      if (clash.length > 0) {
        throw configError(
          clash[0]!,
          `cannot be combined with an injected client: configure ${clash.join(', ')} on that S3Client`,
        );
      }
      this.injectedClient = options.client;
      this.clientConfig = undefined;
      this.ownsClient = false;
      this.endpointLabel = 'the endpoint of the injected S3 client';
    } else {
      const config: S3ClientConfig = {
        region: options.region ?? regionFromChain,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      };
      if (options.endpoint !== undefined) config.endpoint = options.endpoint;
      if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
      if (options.credentials) config.credentials = { ...options.credentials };
      if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
      this.endpointLabel =
        options.endpoint !== undefined
          ? sanitizeEndpoint(options.endpoint)
          : `the AWS S3 endpoint of region ${options.region ?? '(from the AWS chain)'}`;
      this.clientConfig = config;
      this.injectedClient = undefined;
      this.ownsClient = true;
    }
    this.description = prefix ? `s3://${this.bucket}/${prefix}` : `s3://${this.bucket}`;
  }

  /** Releases the sockets of the client this backend created. An injected client is left alone. */
  destroy(): void {
    if (this.ownsClient) this.createdClient?.destroy();
  }

  /**
   * The S3 client: the injected one, or one created on first use (loading the AWS SDK then).
   * Tests use it to add middleware or send extra commands.
   */
  async getClient(): Promise<S3Client> {
    if (this.injectedClient) return this.injectedClient;
    this.clientPromise ??= loadSdk().then(({ S3Client }) => {
      this.createdClient = new S3Client(this.clientConfig ?? {});
      return this.createdClient;
    });
    return this.clientPromise;
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return this.root + key;
  }

  /**
   * Maps an SDK or socket error to a `BackupError`: `ABORTED` for aborts, else `STORAGE_UNREACHABLE`
   * with a hint naming the endpoint/bucket and what to check.
   */
  private storageError(error: unknown, action: string, key?: string): BackupError {
    if (error instanceof BackupError) return error;
    if (isAbortError(error)) {
      return new BackupError('ABORTED', `${action} was aborted`, { cause: error, details: { key } });
    }
    const { name, code, message } = errorShape(error);
    const status = httpStatus(error);
    const where = `bucket "${this.bucket}" at ${this.endpointLabel}`;
    let hint: string;
    if (name === 'NoSuchBucket') {
      hint = `bucket "${this.bucket}" does not exist at ${this.endpointLabel}: create it or fix storage.bucket`;
    } else if (status === 403 || (name !== undefined && ACCESS_CODES.has(name))) {
      hint =
        `access to ${where} was denied: check the credentials (storage.credentials or the AWS ` +
        'environment/profile) and that the policy allows s3:GetObject, s3:PutObject, s3:DeleteObject, ' +
        's3:ListBucket and s3:AbortMultipartUpload on the bucket and prefix';
    } else if ((code !== undefined && NETWORK_CODES.has(code)) || name === 'TimeoutError') {
      hint = `cannot reach ${this.endpointLabel}: check storage.endpoint, DNS, the network and that the server runs`;
    } else if (name === 'CredentialsProviderError') {
      hint =
        'no AWS credentials were found: set storage.credentials or the standard AWS environment ' +
        '(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity)';
    } else {
      hint =
        `S3 request to ${where} failed${status ? ` with HTTP ${status}` : ''}: check storage.endpoint, ` +
        'the credentials and that the bucket exists';
    }
    return new BackupError(
      'STORAGE_UNREACHABLE',
      `${action} failed: ${hint} (${name ?? 'Error'}: ${message})`,
      {
        cause: error,
        details: {
          bucket: this.bucket,
          endpoint: this.endpointLabel,
          key,
          s3Error: name,
          httpStatus: status,
        },
      },
    );
  }

  /**
   * Stores `body` at `key` (see the class comment for the upload strategy). Resolves with the bytes
   * stored. Reports the bytes S3 acknowledged so far through `options.onProgress` (after each
   * part, or once after a PutObject). Throws `SOURCE_FAILED` when the body stream fails or closes
   * early, `ABORTED` on the signal, `CONFIG_INVALID` for unsafe keys or a body over 10,000 parts
   * (see `partSize`), `STORAGE_UNREACHABLE` for S3 errors.
   *
   * On the signal, reading stops, the part requests in flight are cancelled and the multipart
   * upload is aborted before `put` settles. A signal that fires after the whole body was read no
   * longer stops the final PutObject or CompleteMultipartUpload (cancelling it could leave an
   * object S3 completed while `put` reports a failure): `put` then resolves.
   */
  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const { signal } = options;
    if (signal?.aborted) {
      throw new BackupError('ABORTED', `Storing ${key} was aborted before it started`, {
        cause: signal.reason,
        details: { key },
      });
    }
    const source =
      typeof body === 'string'
        ? Readable.from([Buffer.from(body)])
        : body instanceof Uint8Array
          ? Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)])
          : body;

    const [sdk, client] = await Promise.all([loadSdk(), this.getClient()]);
    try {
      const size = await uploadStream({
        client,
        commands: sdk,
        bucket: this.bucket,
        key: objectKey,
        body: source,
        contentType: options.contentType ?? 'application/octet-stream',
        partSize: this.partSize,
        queueSize: this.queueSize,
        ...(signal ? { signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        tooLarge: (bytes) =>
          configError(
            'partSize',
            `${key} is larger than ${MAX_PARTS} parts starting at ${this.partSize} bytes allow (${bytes} bytes read so far): raise storage.partSize`,
          ),
      });
      return { size };
    } catch (error) {
      const failure = error as UploadStreamError;
      throw this.putError(
        key,
        failure.cause ?? error,
        failure.fromSource ? (failure.cause ?? error) : undefined,
        signal,
        failure.leftover,
      );
    } finally {
      if (!source.readableEnded && !source.destroyed) source.destroy();
    }
  }

  private putError(
    key: string,
    error: unknown,
    sourceError: unknown,
    signal: AbortSignal | undefined,
    leftover: { uploadId: string; error: unknown } | undefined,
  ): BackupError {
    let result: BackupError;
    if (signal?.aborted) {
      result = new BackupError('ABORTED', `Storing ${key} in ${this.description} was aborted`, {
        cause: signal.reason ?? error,
        details: { key },
      });
    } else if (sourceError !== undefined) {
      result =
        sourceError instanceof BackupError
          ? sourceError
          : new BackupError(
              'SOURCE_FAILED',
              `The body stream of ${key} failed before it ended, nothing was stored: ${errorShape(sourceError).message ?? String(sourceError)}`,
              { cause: sourceError, details: { key } },
            );
    } else if (errorShape(error).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      result = new BackupError(
        'SOURCE_FAILED',
        `The body stream of ${key} closed before it ended, nothing was stored`,
        {
          cause: error,
          details: { key },
        },
      );
    } else {
      result = this.storageError(error, `Storing ${key} in ${this.description}`, key);
    }
    if (!leftover) return result;
    const reason = errorShape(leftover.error).message ?? String(leftover.error);
    return new BackupError(
      result.code,
      `${result.message}. The multipart upload ${leftover.uploadId} of ${this.root}${key} could not be aborted ` +
        `(${reason}): its parts stay in bucket "${this.bucket}" until it is aborted; add a lifecycle rule ` +
        'AbortIncompleteMultipartUpload to the bucket',
      {
        cause: result.cause,
        details: {
          ...result.details,
          uploadId: leftover.uploadId,
          abortError: errorShape(leftover.error).name,
        },
      },
    );
  }

  /**
   * Opens `key` for reading; `range` is inclusive (`bytes=start-end`, or `bytes=start-` without
   * `end`). The signal cancels the request and the returned stream. Throws `NOT_FOUND` (NoSuchKey),
   * `CONFIG_INVALID` (bad or unsatisfiable range: 416 InvalidRange), `STORAGE_UNREACHABLE`, `ABORTED`.
   */
  async get(key: string, options: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    const objectKey = this.objectKey(key);
    const { range, signal } = options;
    let rangeHeader: string | undefined;
    if (range) {
      const { start, end } = range;
      if (
        !Number.isSafeInteger(start) ||
        start < 0 ||
        (end !== undefined && (!Number.isSafeInteger(end) || end < start))
      ) {
        throw new BackupError(
          'CONFIG_INVALID',
          `Invalid range ${start}-${end ?? ''} for ${key}: use whole byte offsets with 0 <= start <= end`,
          { details: { key, range } },
        );
      }
      rangeHeader = `bytes=${start}-${end ?? ''}`;
    }
    try {
      const response = await (await this.getClient()).send(
        new (await loadSdk()).GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: rangeHeader }),
        signal ? { abortSignal: signal } : {},
      );
      const body = response.Body;
      if (!(body instanceof Readable)) {
        throw new BackupError('INTERNAL', `GetObject of ${key} returned no Node.js stream body`, {
          details: { key },
        });
      }
      return signal ? addAbortSignal(signal, body) : body;
    } catch (error) {
      const { name } = errorShape(error);
      if (name === 'NoSuchKey') {
        throw new BackupError('NOT_FOUND', `No object at ${key} in ${this.description}`, {
          cause: error,
          details: { key },
        });
      }
      if (name === 'InvalidRange' || httpStatus(error) === 416) {
        throw new BackupError(
          'CONFIG_INVALID',
          `Range ${rangeHeader} is outside ${key}: check the object's size with head() first`,
          { cause: error, details: { key, range } },
        );
      }
      throw this.storageError(error, `Reading ${key} from ${this.description}`, key);
    }
  }

  /**
   * Size and modification time of `key`, or `undefined` when it does not exist. A HEAD 404 has no
   * body, so a missing bucket looks like a missing key: the first 404 is checked once with
   * HeadBucket, and a missing bucket throws `STORAGE_UNREACHABLE`. Note: without s3:ListBucket, AWS
   * answers 403 (not 404) for a missing key (API reference "HeadObject"), which throws
   * `STORAGE_UNREACHABLE`.
   */
  async head(key: string): Promise<ObjectInfo | undefined> {
    const objectKey = this.objectKey(key);
    try {
      const response = await (await this.getClient()).send(
        new (await loadSdk()).HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }),
      );
      return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? new Date(0) };
    } catch (error) {
      const { name } = errorShape(error);
      if (name === 'NotFound' || name === 'NoSuchKey' || httpStatus(error) === 404) {
        await this.checkBucket(error, key);
        return undefined;
      }
      throw this.storageError(error, `Checking ${key} in ${this.description}`, key);
    }
  }

  /** Throws `STORAGE_UNREACHABLE` when HeadBucket says 404; checked once per instance. */
  private async checkBucket(original: unknown, key: string): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await (await this.getClient()).send(new (await loadSdk()).HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || errorShape(error).name === 'NoSuchBucket') {
        throw new BackupError(
          'STORAGE_UNREACHABLE',
          `Checking ${key} in ${this.description} failed: bucket "${this.bucket}" does not exist at ` +
            `${this.endpointLabel} (HeadObject and HeadBucket answered 404): create it or fix storage.bucket`,
          {
            cause: error,
            details: { bucket: this.bucket, endpoint: this.endpointLabel, key, headObjectError: original },
          },
        );
      }
      if (status === undefined) throw this.storageError(error, `Checking ${key} in ${this.description}`, key);
      // 403 and others: the bucket exists but this identity may not call HeadBucket; trust the 404.
    }
    this.bucketChecked = true;
  }

  /**
   * Every object whose key (relative to the prefix) starts with `prefix`, via ListObjectsV2 pages of
   * up to 1000 keys followed by continuation token. Keys ending in `/` (folder markers made by
   * consoles) are skipped. Throws `STORAGE_UNREACHABLE`.
   */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await (await this.getClient()).send(
          new (await loadSdk()).ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.root + prefix,
            ContinuationToken: continuationToken,
          }),
        );
      } catch (error) {
        throw this.storageError(error, `Listing ${prefix || '(all)'} in ${this.description}`);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.root)) continue;
        const key = object.Key.slice(this.root.length);
        if (key.length === 0 || key.endsWith('/')) continue;
        yield { key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  /**
   * Deletes `keys` with DeleteObjects, at most 1000 keys per request (S3 limit), in quiet mode.
   * Missing keys are not an error. Throws `STORAGE_UNREACHABLE` when a request fails or the reply
   * lists per-key errors (the message names the first key and its S3 code), `CONFIG_INVALID` for
   * unsafe keys (before anything is deleted).
   */
  async delete(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key));
    for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
      const batch = objectKeys.slice(i, i + DELETE_BATCH);
      let errors: { Key?: string; Code?: string; Message?: string }[];
      try {
        const response: DeleteObjectsCommandOutput = await (await this.getClient()).send(
          withContentMd5(
            new (await loadSdk()).DeleteObjectsCommand({
              Bucket: this.bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          ),
        );
        errors = (response.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      } catch (error) {
        throw this.storageError(error, `Deleting ${batch.length} keys from ${this.description}`);
      }
      const first = errors[0];
      if (first) {
        const key = first.Key?.startsWith(this.root) ? first.Key.slice(this.root.length) : (first.Key ?? '?');
        throw new BackupError(
          'STORAGE_UNREACHABLE',
          `Deleting ${key} from ${this.description} failed: ${first.Code}: ${first.Message}` +
            (errors.length > 1 ? ` (and ${errors.length - 1} more keys)` : '') +
            ': check that the credentials allow s3:DeleteObject on the prefix',
          {
            details: {
              bucket: this.bucket,
              key,
              failed: errors.map((e) => ({ key: e.Key, code: e.Code })),
            },
          },
        );
      }
    }
  }

  /**
   * PutObject with `If-None-Match: *`. Returns `true` when created, `false` on 412
   * PreconditionFailed (the key exists) or 409 ConditionalRequestConflict (another conditional
   * write of the key is in progress; AWS advises retrying, so callers treat it as "taken, retry
   * later"). Source: AWS API reference "PutObject" (`If-None-Match`). A server that ignores the
   * header (s3rver without the test harness' middleware, old MinIO) would overwrite silently.
   * Throws `CONFIG_INVALID` for unsafe keys, `STORAGE_UNREACHABLE`.
   */
  async createExclusive(key: string, body: Uint8Array | string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      await (await this.getClient()).send(
        new (await loadSdk()).PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: typeof body === 'string' ? Buffer.from(body) : body,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (error) {
      const { name } = errorShape(error);
      if (name === 'PreconditionFailed' || httpStatus(error) === 412) return false;
      if (name === 'ConditionalRequestConflict') return false;
      throw this.storageError(error, `Creating ${key} exclusively in ${this.description}`, key);
    }
  }
}
