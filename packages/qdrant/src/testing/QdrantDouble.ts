import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'lossless-json';
import { DoubleExchange } from './DoubleExchange.js';
import { DoubleError, type DoublePeer, DoubleStore } from './DoubleStore.js';
import { routeRequest } from './doubleRoutes.js';
import type { SpecValidator, SpecViolation } from './SpecValidator.js';

/** Faults a test can switch on; each applies to every matching request until switched off. */
export interface DoubleFaults {
  /** Snapshot downloads send half the file, then the connection is destroyed. */
  cutDownload?: boolean;
  /** Snapshot downloads send half the file, then nothing (the connection stays open). */
  stallDownload?: boolean;
  /** New snapshots get a `.checksum` sidecar that does not match the file. */
  wrongChecksum?: boolean;
  /** The next `times` requests of `operationId` are answered with `status` (Qdrant error shape). */
  failNext?: { operationId: string; status: number; times: number; message?: string };
}

/** One request the double served, for assertions. */
export interface DoubleRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  operationId?: string | undefined;
  status?: number | undefined;
  /** JSON body (plain `JSON.parse`), when there was one. */
  body?: unknown;
}

/** Options of {@link QdrantDouble.start}. */
export interface QdrantDoubleOptions {
  /** The spec validator (load once per test file with `SpecValidator.load()`). */
  validator: SpecValidator;
  /** Require this key in `api-key` (or `Authorization: Bearer`), like `service.api_key`. */
  apiKey?: string | undefined;
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string; cert: string } | undefined;
  /** Shared deployment state (cluster nodes share one store); default a new single-node store. */
  store?: DoubleStore | undefined;
  /** This node's peer; default the store's first peer. */
  peer?: DoublePeer | undefined;
}

const WHITELIST = new Set(['/healthz', '/livez', '/readyz']);

/**
 * An in-repo HTTP test double of a Qdrant 1.19 node for the endpoints `@backup/qdrant` uses,
 * with Qdrant's behaviour: snapshots are real tar files on disk with `.checksum` sidecars, `wait`
 * semantics (`wait=false` answers 202 and works in the background), Qdrant's error shape and
 * statuses (404, 409, 400 checksum mismatch, 422 validation), `api-key` checks (401/403 plain text),
 * multipart upload (field `snapshot`). Bodies are parsed and written with lossless-json (u64 ids).
 * EVERY request and response is validated against the official spec (`SpecValidator`);
 * `violations` collects what the spec rejects, and tests assert it stays empty.
 */
export class QdrantDouble {
  readonly violations: SpecViolation[] = [];
  readonly requests: DoubleRequest[] = [];
  faults: DoubleFaults = {};
  readonly store: DoubleStore;
  readonly peer: DoublePeer;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server | https.Server,
    readonly url: string,
    readonly dataDir: string,
    private readonly options: QdrantDoubleOptions,
    store: DoubleStore,
    peer: DoublePeer,
  ) {
    this.store = store;
    this.peer = peer;
  }

  /** Starts a node on a free port of 127.0.0.1. */
  static async start(options: QdrantDoubleOptions): Promise<QdrantDouble> {
    const store =
      options.store ?? new DoubleStore([{ peerId: randomPeerId(false), uri: 'http://qdrant-0:6335/' }]);
    const peer = options.peer ?? store.peers[0]!;
    const dataDir = await mkdtemp(join(tmpdir(), 'qdrant-double-'));
    let double: QdrantDouble | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void double!.handle(req, res);
    };
    const server = options.tls
      ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    const scheme = options.tls ? 'https' : 'http';
    double = new QdrantDouble(server, `${scheme}://127.0.0.1:${address.port}`, dataDir, options, store, peer);
    server.on('connection', (socket: Socket) => {
      double!.sockets.add(socket);
      socket.on('close', () => double!.sockets.delete(socket));
    });
    return double;
  }

  /** Stops the server (open connections are destroyed) and deletes the snapshot directory. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Requests of `operationId` served so far. */
  served(operationId: string): DoubleRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that disconnects mid-request (a cut upload) is no server error; its streams report it.
    req.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://double');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[key.toLowerCase()] = value;
    }
    const multipart = (headers['content-type'] ?? '').startsWith('multipart/form-data');
    let body: unknown;
    let plainBody: unknown;
    let formatError: string | undefined;
    if (!multipart && method !== 'GET') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() !== '') {
        try {
          body = parse(text);
          plainBody = JSON.parse(text);
        } catch (error) {
          formatError = `Format error in JSON body: ${(error as Error).message}`;
        }
      }
    }
    const checked = this.options.validator.checkRequest({
      method,
      path,
      query,
      headers,
      ...(multipart
        ? { body: { snapshot: '(binary)' } }
        : plainBody === undefined
          ? {}
          : { body: plainBody }),
    });
    const exchange = new DoubleExchange(
      req,
      res,
      method,
      path,
      query,
      body,
      checked.operation,
      this.options.validator,
      this.violations,
    );
    const log: DoubleRequest = {
      method,
      path,
      query,
      operationId: checked.operation?.operationId,
      body: plainBody,
    };
    this.requests.push(log);
    res.on('finish', () => {
      log.status = exchange.status;
    });
    if (checked.errors.length > 0) exchange.violation('request', checked.errors);
    try {
      if (this.options.apiKey !== undefined && !WHITELIST.has(path)) {
        const given = headers['api-key'] ?? headers['authorization']?.replace(/^Bearer /, '');
        if (given === undefined) {
          return exchange.text(401, 'Must provide an API key or an Authorization bearer token', {
            authException: true,
          });
        }
        if (given !== this.options.apiKey)
          return exchange.text(403, 'Invalid API key or JWT', { authException: true });
      }
      const fail = this.faults.failNext;
      if (fail && fail.times > 0 && fail.operationId === checked.operation?.operationId) {
        fail.times--;
        return exchange.error(fail.status, fail.message ?? 'Service internal error: injected fault');
      }
      if (formatError !== undefined) return exchange.error(400, formatError);
      await routeRequest(this, exchange);
    } catch (error) {
      if (req.destroyed && !req.complete) {
        // The client went away before its request was complete: nothing to answer (actix drops it).
        res.destroy();
        return;
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof DoubleError) return exchange.error(error.status, error.message);
      exchange.violation('response', [`the double threw: ${(error as Error).stack ?? String(error)}`]);
      exchange.error(500, `Service internal error: ${(error as Error).message}`);
    }
  }
}

/**
 * Starts the nodes of a distributed deployment sharing one store: `size` peers, shard `s` on peer
 * `s % size`. One peer id exceeds 2^53, as random u64 peer ids do.
 */
export async function startQdrantCluster(
  size: number,
  options: Omit<QdrantDoubleOptions, 'store' | 'peer'>,
): Promise<QdrantDouble[]> {
  const peers: DoublePeer[] = [];
  for (let i = 0; i < size; i++)
    peers.push({ peerId: randomPeerId(i === 0), uri: `http://qdrant-${i}.qdrant-headless:6335/` });
  const store = new DoubleStore(peers);
  const nodes: QdrantDouble[] = [];
  for (const peer of peers) nodes.push(await QdrantDouble.start({ ...options, store, peer }));
  return nodes;
}

function randomPeerId(huge: boolean): bigint {
  const value = BigInt(`0x${randomBytes(8).toString('hex')}`);
  return huge ? value | (1n << 62n) : value % (1n << 52n);
}
