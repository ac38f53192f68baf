import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Schemas } from '@qdrant/js-client-rest';
import { stringify } from 'lossless-json';
import type { SpecValidator, SpecViolation } from './SpecValidator.js';

type Operation = NonNullable<ReturnType<SpecValidator['checkRequest']>['operation']>;

/** Qdrant's success envelope (`ApiResponse<T>` in `src/actix/helpers.rs`). */
export interface OkEnvelope<T> {
  result: T;
  status: 'ok';
  time: number;
}

/**
 * One request/response exchange of the double: the parsed request, and response writers that
 * serialize like Qdrant (envelopes, `ErrorResponse`) and check every response against the spec
 * before it is sent (violations are recorded, see `QdrantDouble.violations`).
 */
export class DoubleExchange {
  /** HTTP status sent, once sent. */
  status: number | undefined;
  private readonly started = process.hrtime.bigint();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly method: string,
    readonly path: string,
    readonly query: Record<string, string>,
    /** Lossless-parsed JSON body (numbers as LosslessNumber), when there is one. */
    readonly body: unknown,
    readonly operation: Operation | undefined,
    private readonly validator: SpecValidator,
    private readonly violations: SpecViolation[],
  ) {}

  /** Seconds since the request arrived (the envelope's `time`). */
  get elapsed(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  /** `200 {"result": ..., "status": "ok", "time": ...}`. */
  ok<T>(result: T): void {
    const envelope: OkEnvelope<T> = { result, status: 'ok', time: this.elapsed };
    this.sendJson(200, envelope);
  }

  /** `202 {"result": null, "status": "accepted", "time": ...}` (`wait=false`, `helpers.rs accepted_response`). */
  accepted(): void {
    this.sendJson(202, { result: null, status: 'accepted', time: this.elapsed });
  }

  /** An error in Qdrant's `ErrorResponse` shape: `{"status": {"error": "..."}, "time": ...}`. */
  error(status: number, message: string): void {
    const body: Schemas['ErrorResponse'] = { status: { error: message }, time: this.elapsed };
    this.sendJson(status, body);
  }

  /** A JSON body that is not enveloped (`GET /` answers `VersionInfo` directly). */
  sendJson(status: number, body: unknown): void {
    const text = stringify(body) ?? 'null';
    this.check(status, 'application/json', JSON.parse(text));
    this.send(status, { 'content-type': 'application/json' }, text);
  }

  /** Plain text (the auth middleware's 401/403, `src/actix/auth.rs`). */
  text(status: number, body: string, options: { authException?: boolean } = {}): void {
    this.check(status, 'text/plain; charset=utf-8', body, options);
    this.send(status, { 'content-type': 'text/plain; charset=utf-8' }, body);
  }

  /** Starts a binary response (snapshot download) after checking its content type. */
  startBinary(status: number, headers: Record<string, string | number>): void {
    this.check(status, String(headers['content-type']), undefined);
    this.status = status;
    this.res.writeHead(status, headers);
  }

  /** Records a violation found outside a response (a bug of the double, an unexpected request). */
  violation(kind: SpecViolation['kind'], errors: string[]): void {
    this.violations.push({
      kind,
      request: `${this.method} ${this.path}`,
      operationId: this.operation?.operationId,
      status: this.status,
      errors,
    });
  }

  private check(
    status: number,
    contentType: string,
    body: unknown,
    options: { authException?: boolean } = {},
  ): void {
    if (!this.operation) {
      this.violation('response', [`answered ${status} to a request no spec operation matches`]);
      return;
    }
    const errors = this.validator.checkResponse(this.operation, status, contentType, body, options);
    if (errors.length > 0) {
      this.violations.push({
        kind: 'response',
        request: `${this.method} ${this.path}`,
        operationId: this.operation.operationId,
        status,
        errors,
      });
    }
  }

  private send(status: number, headers: Record<string, string>, body: string): void {
    this.status = status;
    const bytes = Buffer.from(body);
    this.res.writeHead(status, { ...headers, 'content-length': bytes.length });
    this.res.end(bytes);
  }
}
