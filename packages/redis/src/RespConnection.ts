import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { BackupError } from '@backup/core';
import { encodeResp, type RespArg } from './encodeResp.js';
import { endpointLabel, type RedisEndpoint } from './parseRedisUrl.js';
import { redisFailure } from './redisFailure.js';

/**
 * A RESP2 reply as {@link RespConnection} returns it: bulk strings as `Buffer` (views into the
 * received bytes, no copy), `null` for the null bulk/array, integers as `number`, simple strings
 * as `string`, errors as {@link RespError} (in place: one refused command does not hide the
 * others' replies), arrays as arrays.
 */
export type RespReply = Buffer | number | string | null | RespError | RespReply[];

/** An error reply (`-ERR ...`, `-NOPERM ...`); `message` is the server's text without the `-`. */
export class RespError extends Error {
  override readonly name = 'RespError';
}

/** Options of {@link RespConnection.open}. */
export interface RespConnectionOptions {
  /** Node TLS options for `rediss://` endpoints. */
  tls?: ConnectionOptions | undefined;
  /** `SELECT` this database after connecting; default the endpoint's `db`, else 0 (no SELECT). */
  db?: number | undefined;
  /** Connect (and TLS handshake) timeout; default 10,000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Destroys the connection: pending and later calls reject with `ABORTED`. */
  signal?: AbortSignal | undefined;
}

interface PendingBatch {
  count: number;
  replies: RespReply[];
  resolve: (replies: RespReply[]) => void;
  reject: (error: unknown) => void;
}

const INCOMPLETE = Symbol('incomplete');

/**
 * A minimal pipelining RESP2 client on one raw `node:net`/`node:tls` socket, for the keys-mode
 * export's hot loop (SCAN + DUMP + PEXPIRETIME). ioredis allocates a Command object, a promise and
 * a result tuple per command (~4 us of CPU and several hundred bytes of short-lived heap each);
 * with the bins' 1 MiB young generation those survive a scavenge while in flight and pile up in old
 * space (keys-mode backups peaked at 190-205 MiB RSS). Here a whole round trip is one write and
 * one promise, and bulk replies are views into the received chunk.
 *
 * Protocol: RESP2 (`redis/redis:src/networking.c`; no `HELLO`, so ACL users need no `+hello`).
 * Replies arrive in command order; a round trip ({@link call}) resolves once all its replies
 * arrived. No reconnects: a dropped connection rejects every pending round trip.
 */
export class RespConnection {
  private readonly socket: Socket;
  private readonly label: string;
  private readonly queue: PendingBatch[] = [];
  /** Unparsed received bytes: `buffer` from `offset`, then `chunks` (not yet joined). */
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes (from `offset`) the reply being parsed needs at least; parse again only then. */
  private needed = 0;
  private failure: unknown;
  private readonly onAbort: () => void;
  private readonly signal: AbortSignal | undefined;

  private constructor(socket: Socket, label: string, signal: AbortSignal | undefined) {
    this.socket = socket;
    this.label = label;
    this.signal = signal;
    this.onAbort = () => this.fail(new BackupError('ABORTED', `Connection to ${label} was aborted`));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error: Error) => this.fail(error));
    socket.on('close', () =>
      this.fail(Object.assign(new Error(`connection to ${label} closed`), { code: 'ECONNRESET' })),
    );
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Connects (TLS for `rediss://`), authenticates with `AUTH [user] password` when the endpoint
   * has credentials, and `SELECT`s the database when it is not 0.
   *
   * @throws BackupError `SOURCE_FAILED` (unreachable, TLS failure, `WRONGPASS`, `NOPERM` on SELECT;
   *   the message says what to check), `ABORTED`.
   */
  static async open(endpoint: RedisEndpoint, options: RespConnectionOptions = {}): Promise<RespConnection> {
    const label = endpointLabel(endpoint);
    const what = `Connecting to Redis at ${label}`;
    if (options.signal?.aborted) throw new BackupError('ABORTED', `${what}: aborted`);
    // node:tls is loaded only for rediss:// (importing it costs ~15 ms of start-up; measured).
    const socket = endpoint.tls
      ? (await import('node:tls')).connect({
          host: endpoint.host,
          port: endpoint.port,
          ...(options.tls ?? {}),
        })
      : netConnect({ host: endpoint.host, port: endpoint.port });
    socket.setNoDelay(true);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const event = endpoint.tls ? 'secureConnect' : 'connect';
        const timer = setTimeout(
          () =>
            reject(
              Object.assign(new Error(`connect timed out after ${Math.round(timeoutMs / 1000)} s`), {
                code: 'ETIMEDOUT',
              }),
            ),
          timeoutMs,
        );
        socket.once(event, () => {
          clearTimeout(timer);
          socket.off('error', reject);
          resolve();
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    } catch (error) {
      socket.on('error', () => {});
      socket.destroy();
      throw redisFailure(error, 'SOURCE_FAILED', what);
    }
    const connection = new RespConnection(socket, label, options.signal);
    try {
      const setup: RespArg[][] = [];
      if (endpoint.password !== undefined) {
        setup.push(
          endpoint.username === undefined
            ? ['AUTH', endpoint.password]
            : ['AUTH', endpoint.username, endpoint.password],
        );
      }
      const db = options.db ?? endpoint.db ?? 0;
      if (db !== 0) setup.push(['SELECT', db]);
      if (setup.length > 0) {
        for (const reply of await connection.call(setup)) {
          if (reply instanceof RespError) throw reply;
        }
      }
    } catch (error) {
      connection.close();
      throw redisFailure(error, 'SOURCE_FAILED', what);
    }
    return connection;
  }

  /**
   * Sends `commands` in one write and resolves with their replies, in order, once all arrived.
   * Error replies are returned in place as {@link RespError}, not thrown.
   *
   * @throws the socket's error (with its `code`, e.g. `ECONNRESET`) when the connection fails or
   *   closes first, or BackupError `ABORTED`.
   */
  call(commands: readonly (readonly RespArg[])[]): Promise<RespReply[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise<RespReply[]>((resolve, reject) => {
      this.queue.push({ count: commands.length, replies: [], resolve, reject });
      this.socket.write(encodeResp(commands));
    });
  }

  /** Closes the socket; pending round trips reject. */
  close(): void {
    this.fail(
      Object.assign(new Error(`connection to ${this.label} closed by the client`), { code: 'ECONNRESET' }),
    );
  }

  private fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.socket.on('error', () => {});
    if (!this.socket.destroyed) this.socket.destroy();
    for (const batch of this.queue.splice(0)) batch.reject(this.failure);
    this.buffer = Buffer.alloc(0);
    this.chunks = [];
  }

  private receive(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    if (this.buffer.length - this.offset + this.chunkBytes < this.needed) return;
    // Join what is unparsed once enough bytes are there (a large bulk is not re-joined per chunk).
    const rest = this.buffer.length - this.offset;
    if (rest === 0 && this.chunks.length === 1) {
      this.buffer = chunk;
    } else {
      this.buffer = Buffer.concat(
        [this.buffer.subarray(this.offset), ...this.chunks],
        rest + this.chunkBytes,
      );
    }
    this.offset = 0;
    this.chunks = [];
    this.chunkBytes = 0;
    this.needed = 0;
    try {
      while (this.queue.length > 0 && this.offset < this.buffer.length) {
        const batch = this.queue[0]!;
        const value = this.parse(this.buffer, this.offset);
        if (value === INCOMPLETE) break;
        this.offset = this.next;
        batch.replies.push(value);
        if (batch.replies.length === batch.count) {
          this.queue.shift();
          batch.resolve(batch.replies);
        }
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.queue.length === 0 && this.offset < this.buffer.length) {
      this.fail(new Error(`unexpected data from ${this.label} (a reply without a command)`));
    }
  }

  /** Offset after the value {@link parse} returned. */
  private next = 0;

  /** Parses one reply at `p`; sets `next`, or returns INCOMPLETE and sets `needed`. */
  private parse(b: Buffer, p: number): RespReply | typeof INCOMPLETE {
    const lineEnd = b.indexOf(13, p + 1);
    if (lineEnd < 0 || lineEnd + 1 >= b.length) {
      this.needed = b.length - this.offset + 1;
      return INCOMPLETE;
    }
    const type = b[p]!;
    switch (type) {
      case 0x24: {
        // $<len>\r\n<bytes>\r\n, $-1 = null
        const length = readInteger(b, p + 1, lineEnd);
        if (length < 0) {
          this.next = lineEnd + 2;
          return null;
        }
        const start = lineEnd + 2;
        if (start + length + 2 > b.length) {
          this.needed = start + length + 2 - this.offset;
          return INCOMPLETE;
        }
        this.next = start + length + 2;
        return b.subarray(start, start + length);
      }
      case 0x3a: // :<integer>
        this.next = lineEnd + 2;
        return readInteger(b, p + 1, lineEnd);
      case 0x2b: // +<simple string>
        this.next = lineEnd + 2;
        return b.toString('latin1', p + 1, lineEnd);
      case 0x2d: // -<error>
        this.next = lineEnd + 2;
        return new RespError(b.toString('utf8', p + 1, lineEnd));
      case 0x2a: {
        // *<count>\r\n<replies>, *-1 = null
        const count = readInteger(b, p + 1, lineEnd);
        if (count < 0) {
          this.next = lineEnd + 2;
          return null;
        }
        const items: RespReply[] = new Array(count);
        let at = lineEnd + 2;
        for (let i = 0; i < count; i++) {
          if (at >= b.length) {
            this.needed = b.length - this.offset + 1;
            return INCOMPLETE;
          }
          const item = this.parse(b, at);
          if (item === INCOMPLETE) return INCOMPLETE;
          items[i] = item;
          at = this.next;
        }
        this.next = at;
        return items;
      }
      default:
        throw new Error(`unexpected RESP type byte 0x${type.toString(16)} from ${this.label}`);
    }
  }
}

/** Decimal integer (optionally negative) in `b[start, end)`. */
function readInteger(b: Buffer, start: number, end: number): number {
  let negative = false;
  let i = start;
  if (b[i] === 0x2d) {
    negative = true;
    i++;
  }
  let n = 0;
  for (; i < end; i++) n = n * 10 + (b[i]! - 48);
  return negative ? -n : n;
}
