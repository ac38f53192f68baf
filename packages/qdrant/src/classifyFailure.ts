import { BackupError } from '@backup/core';
import { QdrantHttpError, qdrantErrorText } from './QdrantHttpError.js';

/** What went wrong in one request to Qdrant, whatever threw it. */
export interface QdrantFailure {
  /** HTTP status, when the server answered. */
  status?: number | undefined;
  /** One-line description: Qdrant's error text, a socket error code, a TLS hint... */
  message: string;
  /**
   * `true` when the same idempotent request may succeed if repeated: no answer (connection refused
   * or reset, DNS `EAI_AGAIN`, timeout) or HTTP 429 / 502 / 503 / 504.
   */
  transient: boolean;
  /** Delay the server asked for (`Retry-After`), in milliseconds. */
  retryAfterMs?: number | undefined;
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/;

/**
 * Classifies an error thrown while talking to Qdrant: our {@link QdrantHttpError}, the
 * `@qdrant/js-client-rest` errors (`ApiError` with `status`/`data`, `QdrantClientTimeoutError`,
 * `QdrantClientResourceExhaustedError`), undici's `TypeError: fetch failed` with a socket `cause`,
 * Node socket errors, and `AbortSignal.timeout` (`TimeoutError`). A {@link BackupError} is never
 * transient.
 */
export function classifyFailure(error: unknown): QdrantFailure {
  if (error instanceof BackupError) return { message: error.message, transient: false };
  if (error instanceof QdrantHttpError) {
    return {
      status: error.status,
      message: `HTTP ${error.status}: ${error.qdrantMessage}`,
      transient: TRANSIENT_STATUS.has(error.status),
      retryAfterMs: error.retryAfterMs,
    };
  }
  if (error !== null && typeof error === 'object') {
    const e = error as {
      name?: unknown;
      status?: unknown;
      data?: unknown;
      headers?: unknown;
      retry_after?: unknown;
      message?: unknown;
    };
    // @qdrant/openapi-typescript-fetch ApiError (what the js client throws for non-2xx answers).
    if (typeof e.status === 'number' && 'data' in e) {
      const retryAfter =
        e.headers instanceof Headers ? Number(e.headers.get('retry-after') ?? Number.NaN) : Number.NaN;
      return {
        status: e.status,
        message: `HTTP ${e.status}: ${qdrantErrorText(e.data)}`,
        transient: TRANSIENT_STATUS.has(e.status),
        retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
      };
    }
    if (e.name === 'QdrantClientResourceExhaustedError') {
      const seconds = Number(e.retry_after);
      return {
        status: 429,
        message: `HTTP 429: ${String(e.message)}`,
        transient: true,
        retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
      };
    }
    if (e.name === 'QdrantClientTimeoutError' || e.name === 'TimeoutError') {
      return { message: `timed out (${String(e.message)})`, transient: true };
    }
  }
  const code = socketCode(error);
  if (code !== undefined) {
    const detail = describeCause(error);
    if (TLS_CODES.test(code)) {
      return {
        message: `TLS: ${detail} (trust a private CA with NODE_EXTRA_CA_CERTS=/path/ca.pem)`,
        transient: false,
      };
    }
    return { message: detail, transient: TRANSIENT_CODES.has(code) };
  }
  return { message: error instanceof Error ? describeCause(error) : String(error), transient: false };
}

/** The first `code` found on the error or its `cause` chain (`ECONNREFUSED`, `UND_ERR_SOCKET`...). */
function socketCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:6333` from undici's nested causes. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (!parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ');
}
