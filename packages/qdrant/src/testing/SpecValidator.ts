import { readFileSync } from 'node:fs';
import { type AjvCustomizer, OpenAPIBackend } from 'openapi-backend';
import { qdrantSpecPath } from './qdrantSpecPath.js';

/** One request or response the official spec rejects. */
export interface SpecViolation {
  /** `request` or `response`. */
  kind: 'request' | 'response';
  /** `POST /collections/runbooks/snapshots`. */
  request: string;
  /** Matched operationId, when one matched. */
  operationId?: string | undefined;
  /** Status code (responses). */
  status?: number | undefined;
  /** ajv messages or what else is wrong. */
  errors: string[];
}

/** A request as the validator sees it. */
export interface SpecRequest {
  method: string;
  /** Path without query, e.g. `/collections/runbooks/snapshots`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body (plain `JSON.parse`), or a multipart form as `{ field: 'binary' }`. */
  body?: unknown;
}

type Api = OpenAPIBackend;
type Operation = NonNullable<ReturnType<Api['matchOperation']>>;

const FORMATS: Record<string, (value: unknown) => boolean> = {
  // Qdrant's schemars formats. Numbers arrive through JSON.parse: a uint64 near 2^64 rounds up to
  // exactly 2^64 as a double, hence `<=`.
  uint: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0,
  uint8: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255,
  uint32: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff,
  uint64: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 64,
  uuid: (v) =>
    typeof v === 'string' && /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  uri: (v) => typeof v === 'string' && URL.canParse(v),
  'date-time': (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /T/.test(v),
  // chrono NaiveDateTime, e.g. 2022-08-04T10:49:10 (no zone)
  'partial-date-time': (v) =>
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v),
};

/**
 * Validates requests and responses against the official Qdrant OpenAPI spec
 * (`shared/specs/qdrant-openapi.json`, v1.19.0, read from {@link qdrantSpecPath}; never copied)
 * with `openapi-backend` (ajv). Two documented adjustments of the spec document in memory:
 * - `{ "nullable": true }` branches without a `type` (schemars' encoding of `Option<T>` inside
 *   `anyOf`) are read as `{ "type": "null" }`: ajv rejects `nullable` without `type`, and an empty
 *   schema would accept anything;
 * - Qdrant's custom formats (`uint`, `uint8`, `uint32`, `uint64`, `partial-date-time`) get real
 *   checks instead of being ignored.
 *
 * Beyond JSON bodies, a response's content type must be one the spec lists for its status (so a
 * binary download or a plain-text error is checked too). One known divergence of REAL Qdrant from
 * its own spec is accepted only when the caller says so: the auth middleware answers 401/403 with a
 * plain-text body (`qdrant/qdrant:src/actix/auth.rs`), where the spec declares JSON.
 */
export class SpecValidator {
  private constructor(private readonly api: Api) {}

  /** Loads and prepares the spec (a few hundred ms). */
  static async load(path = qdrantSpecPath()): Promise<SpecValidator> {
    const definition = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    rewriteTypelessNullable(definition);
    const api = new OpenAPIBackend({
      definition: definition as never,
      quick: true,
      ajvOpts: { strict: false, allErrors: true },
      customizeAjv: addQdrantFormats,
    });
    await api.init();
    return new SpecValidator(api);
  }

  /** Matches and validates a request; returns its operation (or undefined) and any errors. */
  checkRequest(request: SpecRequest): { operation: Operation | undefined; errors: string[] } {
    const req = {
      method: request.method.toLowerCase(),
      path: request.path,
      query: request.query,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    };
    const operation = this.api.matchOperation(req);
    if (!operation)
      return {
        operation: undefined,
        errors: [`no operation of the spec matches ${request.method} ${request.path}`],
      };
    const result = this.api.validateRequest(req, operation);
    return { operation, errors: (result.errors ?? []).map(formatError) };
  }

  /**
   * Validates a response of `operation`: the content type must be declared for `status`, and a JSON
   * body must match the schema. `authException` accepts Qdrant's plain-text 401/403.
   */
  checkResponse(
    operation: Operation,
    status: number,
    contentType: string | undefined,
    body: unknown,
    options: { authException?: boolean } = {},
  ): string[] {
    const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (options.authException && (status === 401 || status === 403) && media === 'text/plain') return [];
    const responses = (operation.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
    const declared =
      responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses['default'];
    if (!declared) return [`status ${status} is not declared for ${operation.operationId}`];
    const content = declared.content ?? {};
    if (Object.keys(content).length === 0) {
      return media === ''
        ? []
        : [`status ${status} of ${operation.operationId} declares no body, got ${media}`];
    }
    if (!(media in content)) {
      return [
        `content type "${media}" is not declared for status ${status} of ${operation.operationId} (${Object.keys(content).join(', ')})`,
      ];
    }
    if (media !== 'application/json') return [];
    const result = this.api.validateResponse(body, operation, status);
    return (result.errors ?? []).map(formatError);
  }
}

const addQdrantFormats: AjvCustomizer = (ajv) => {
  for (const [name, validate] of Object.entries(FORMATS)) {
    // ajv applies a format only to data of its `type` (default string).
    if (name.startsWith('uint')) ajv.addFormat(name, { type: 'number', async: false, validate });
    else ajv.addFormat(name, { type: 'string', async: false, validate });
  }
  return ajv;
};

function formatError(error: { instancePath?: string; message?: string; params?: unknown }): string {
  return `${error.instancePath || '/'} ${error.message ?? 'invalid'} ${JSON.stringify(error.params ?? {})}`;
}

function rewriteTypelessNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteTypelessNullable(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const child = value as Record<string, unknown>;
      if (child['nullable'] === true && !('type' in child) && !('$ref' in child) && !hasComposition(child)) {
        const { nullable: _, ...rest } = child;
        record[key] = { ...rest, type: 'null' };
        continue;
      }
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
          const child = item as Record<string, unknown>;
          if (
            child['nullable'] === true &&
            !('type' in child) &&
            !('$ref' in child) &&
            !hasComposition(child)
          ) {
            const { nullable: _, ...rest } = child;
            value[i] = { ...rest, type: 'null' };
          }
        }
      });
    }
    rewriteTypelessNullable(record[key]);
  }
}

function hasComposition(schema: Record<string, unknown>): boolean {
  return 'anyOf' in schema || 'oneOf' in schema || 'allOf' in schema;
}
