import { BackupError, type BackupErrorCode, type Logger } from '@backup/core';
import { QdrantClient } from '@qdrant/js-client-rest';
import { parse, stringify } from 'lossless-json';
import { QdrantHttpError } from './QdrantHttpError.js';
import { raceAbort } from './raceAbort.js';
import { toQdrantBackupError } from './toQdrantBackupError.js';
import { type RetryPolicy, withRetry } from './withRetry.js';

/** Options of {@link QdrantConnection}. */
export interface QdrantConnectionOptions {
  /** REST base URL, `http(s)://host:6333` (a path prefix is kept). */
  url: string;
  /** Sent as the `api-key` header on every request when set. */
  apiKey?: string | undefined;
  /** Milliseconds per JSON request. */
  timeoutMs: number;
  /** Milliseconds for snapshot creation and recovery requests (`wait=true`). */
  snapshotTimeoutMs: number;
  /** Retry policy of idempotent requests. */
  retry: RetryPolicy;
}

/** Per-call options of {@link QdrantConnection.call} and {@link QdrantConnection.requestJson}. */
export interface QdrantCallOptions {
  /** Human description for errors and logs, e.g. `Listing collections`. The node is appended. */
  what: string;
  signal: AbortSignal;
  logger?: Logger | undefined;
  /** Repeat on transient errors (only for requests that cannot duplicate work). Default `false`. */
  retry?: boolean | undefined;
  /** Use the snapshot timeout instead of the JSON timeout. Default `false`. */
  slow?: boolean | undefined;
  /** Error code for failures; default `SOURCE_FAILED`. */
  code?: BackupErrorCode | undefined;
}

/** Options of {@link QdrantConnection.call}. */
export interface QdrantClientCallOptions<T> extends QdrantCallOptions {
  /** Receives the result of a call abandoned because `signal` fired, should it still succeed. */
  onLate?: ((value: T) => void) | undefined;
}

/**
 * One Qdrant node's REST API (port 6333): the `@qdrant/js-client-rest` client for the JSON API
 * (two instances: `timeoutMs` and `snapshotTimeoutMs`), plus lossless raw JSON requests for point
 * data. The api key goes in the `api-key` header (spec `securitySchemes.api-key`); TLS is whatever
 * the URL's scheme says, verified against Node's CA store (`NODE_EXTRA_CA_CERTS` adds a private CA).
 */
export class QdrantConnection {
  /** Base URL without trailing slash. */
  readonly url: string;
  /** `scheme://host:port/path` for logs, errors and manifests: never userinfo or a query. */
  readonly label: string;
  /** Milliseconds per JSON request (and the longest silence of a download). */
  readonly timeoutMs: number;
  /** Milliseconds for snapshot creation and recovery (`wait=true`). */
  readonly snapshotTimeoutMs: number;
  /** Retry policy of idempotent requests. */
  readonly retryPolicy: RetryPolicy;
  private readonly apiKey: string | undefined;
  private readonly client: QdrantClient;
  private readonly slowClient: QdrantClient;

  /** @throws BackupError `CONFIG_INVALID` for a URL that is not http(s). */
  constructor(options: QdrantConnectionOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (error) {
      throw new BackupError('CONFIG_INVALID', `Qdrant URL "${options.url}" is not a URL`, { cause: error });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new BackupError('CONFIG_INVALID', `Qdrant URL ${parsed.origin} must use http:// or https://`);
    }
    const path = parsed.pathname.replace(/\/+$/, '');
    this.url = `${parsed.origin}${path}`;
    this.label = this.url;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs;
    this.snapshotTimeoutMs = options.snapshotTimeoutMs;
    this.retryPolicy = options.retry;
    const make = (timeout: number) =>
      new QdrantClient({
        url: parsed.origin,
        // The client ignores a URL path and defaults a missing port to 6333: pass both explicitly.
        ...(path === '' ? {} : { prefix: path }),
        port: parsed.port === '' ? null : Number(parsed.port),
        // As a header, not `apiKey`: the client would console.warn on http:// and force https.
        headers: options.apiKey === undefined ? {} : { 'api-key': options.apiKey },
        timeout,
        checkCompatibility: false,
      });
    this.client = make(options.timeoutMs);
    this.slowClient = make(options.snapshotTimeoutMs);
  }

  /** Request headers for this node's own HTTP requests (the `api-key` when configured). */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.apiKey === undefined ? { ...extra } : { ...extra, 'api-key': this.apiKey };
  }

  /** Absolute URL of `path` (which starts with `/`) with the given query parameters. */
  endpoint(path: string, query: Record<string, string | number | boolean> = {}): URL {
    const url = new URL(`${this.url}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    return url;
  }

  /**
   * Runs a `@qdrant/js-client-rest` call, retried on transient errors when `options.retry`, and
   * maps failures to `BackupError` (`options.code`, default `SOURCE_FAILED`; `ABORTED` when the
   * signal fires; `options.onLate` then receives a result that still arrives).
   */
  async call<T>(fn: (client: QdrantClient) => Promise<T>, options: QdrantClientCallOptions<T>): Promise<T> {
    const what = `${options.what} on ${this.label}`;
    const client = options.slow ? this.slowClient : this.client;
    const once = () => raceAbort(fn(client), options.signal, what, options.onLate);
    try {
      return options.retry
        ? await withRetry(once, this.retryPolicy, { signal: options.signal, logger: options.logger, what })
        : await once();
    } catch (error) {
      throw toQdrantBackupError(error, options.code ?? 'SOURCE_FAILED', what);
    }
  }

  /**
   * A JSON request parsed and serialized with `lossless-json`: numbers keep their exact text (ids
   * above 2^53, `1.0` vs `1` in payloads). `body` may hold `LosslessNumber`s and bigints. Returns the
   * envelope's `result` (`undefined` for `202 Accepted`). Failures: see {@link QdrantConnection.call}.
   */
  async requestJson(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
    path: string,
    options: QdrantCallOptions & {
      query?: Record<string, string | number | boolean>;
      body?: unknown;
    },
  ): Promise<unknown> {
    const what = `${options.what} on ${this.label}`;
    const url = this.endpoint(path, options.query);
    const body = options.body === undefined ? undefined : stringify(options.body);
    const timeout = options.slow ? this.snapshotTimeoutMs : this.timeoutMs;
    const once = async () => {
      const response = await fetch(url, {
        method,
        headers: this.headers({
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        }),
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(timeout)]),
      });
      const text = await response.text();
      if (!response.ok) throw new QdrantHttpError(response.status, text, response.headers.get('retry-after'));
      if (response.status === 202) return undefined;
      let envelope: unknown;
      try {
        envelope = parse(text);
      } catch (error) {
        throw new Error(`answer is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`);
      }
      return envelope !== null && typeof envelope === 'object'
        ? (envelope as { result?: unknown }).result
        : undefined;
    };
    try {
      return options.retry
        ? await withRetry(once, this.retryPolicy, { signal: options.signal, logger: options.logger, what })
        : await once();
    } catch (error) {
      throw toQdrantBackupError(error, options.code ?? 'SOURCE_FAILED', what);
    }
  }
}
