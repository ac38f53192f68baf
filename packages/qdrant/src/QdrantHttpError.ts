/**
 * A non-2xx answer of the Qdrant REST API to one of this package's own HTTP requests (snapshot
 * download and upload, lossless JSON requests). Qdrant answers errors with its `ErrorResponse`
 * shape `{"status":{"error":"Not found: ..."},"time":0.0}` (spec `components.schemas.ErrorResponse`,
 * `qdrant/qdrant:src/actix/helpers.rs`); its auth middleware answers 401/403 with a plain-text body
 * (`src/actix/auth.rs`). Both become {@link QdrantHttpError.qdrantMessage}.
 */
export class QdrantHttpError extends Error {
  /** HTTP status code, e.g. `404`. */
  readonly status: number;
  /** Qdrant's error text (`status.error`), or the raw body (truncated to 500 characters). */
  readonly qdrantMessage: string;
  /** Milliseconds from a `Retry-After` header (seconds), when present. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: string, retryAfter?: string | null) {
    const message = qdrantErrorText(body);
    super(`HTTP ${status}: ${message}`);
    this.name = 'QdrantHttpError';
    this.status = status;
    this.qdrantMessage = message;
    const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
    this.retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
  }
}

/**
 * Extracts the error text from a Qdrant error body: `status.error` of an `ErrorResponse` (JSON
 * text or parsed object), else the text itself, truncated to 500 characters; `(empty body)` when
 * there is nothing.
 */
export function qdrantErrorText(body: unknown): string {
  let value = body;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return '(empty body)';
    try {
      value = JSON.parse(text);
    } catch {
      return truncate(text);
    }
  }
  if (value !== null && typeof value === 'object') {
    const status = (value as { status?: unknown }).status;
    if (status !== null && typeof status === 'object') {
      const error = (status as { error?: unknown }).error;
      if (typeof error === 'string') return truncate(error);
    }
    if (typeof status === 'string') return truncate(`status ${status}`);
    return truncate(JSON.stringify(value));
  }
  return truncate(String(value));
}

function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
