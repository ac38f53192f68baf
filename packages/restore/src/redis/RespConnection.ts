import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { BackupError } from '@backup/core';
import { endpointLabel, type RedisEndpoint } from '@backup/redis';
import { RespError } from './RespError.js';

/** A RESP2 reply: simple/bulk string (UTF-8), integer, null, array, or a server error. */
export type RespReply = string | number | null | RespReply[] | RespError;

/** Options of {@link RespConnection.open}. */
export interface RespConnectionOptions {
  /** Node TLS options (`tlsConnectionOptions` of `@backup/redis`) for `rediss://` endpoints. */
  tls?: ConnectionOptions | undefined;
  /** Connect and per-command timeout in ms; default 10,000. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A minimal RESP2 connection for the few read and cleanup commands the Redis restore adapter sends
 * to a target (`INFO`, `CLUSTER NODES`, `FLUSHALL`): the engine's own client is internal to
 * `@backup/redis`, and these commands need no pipelining, cluster routing or reconnects. Sends
 * `AUTH [user] password` first when the endpoint has credentials (RESP2: no `HELLO`, so it works
 * with ACL users without `+hello`). One command at a time.
 *
 * Failures are `BackupError`s with code `RESTORE_FAILED` naming `host:port` and the server's
 * error (never the password); an error reply of a command rejects with {@link RespError}.
 */
export class RespConnection {
  /** `host:port` of the server, never credentials. */
  readonly label: string;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve(reply: RespReply): void; reject(error: Error): void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    endpoint: RedisEndpoint,
    private readonly timeoutMs: number,
  ) {
    this.label = endpointLabel(endpoint);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the server')));
  }

  /**
   * Connects (TCP or TLS) and authenticates.
   *
   * @throws BackupError `RESTORE_FAILED` when the server cannot be reached or refuses the credentials.
   */
  static async open(endpoint: RedisEndpoint, options: RespConnectionOptions = {}): Promise<RespConnection> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const label = endpointLabel(endpoint);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = endpoint.tls
        ? tlsConnect({ host: endpoint.host, port: endpoint.port, ...options.tls })
        : netConnect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        s.destroy();
        reject(new BackupError('ABORTED', `Connecting to Redis at ${label}: aborted`));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      s.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        reject(error);
      });
    }).catch((error: unknown) => {
      if (error instanceof BackupError) throw error;
      throw new BackupError(
        'RESTORE_FAILED',
        `Connecting to Redis at ${label} failed: ${(error as Error).message}; is the server running and reachable from here?`,
        { cause: error },
      );
    });
    const connection = new RespConnection(socket, endpoint, timeoutMs);
    if (endpoint.password !== undefined) {
      const args =
        endpoint.username === undefined
          ? ['AUTH', endpoint.password]
          : ['AUTH', endpoint.username, endpoint.password];
      try {
        await connection.command(...args);
      } catch (error) {
        connection.close();
        throw new BackupError(
          'RESTORE_FAILED',
          `Authenticating to Redis at ${label} failed: ${(error as Error).message}; check the user and password of the URL`,
          { cause: error },
        );
      }
    }
    return connection;
  }

  /**
   * Sends one command and resolves with its reply; an error reply rejects with {@link RespError},
   * a lost connection or a timeout with an `Error` (callers wrap them with what they were doing).
   */
  command(...args: string[]): Promise<RespReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('RespConnection: one command at a time'));
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = Buffer.from(arg, 'utf8');
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
    return new Promise<RespReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.failure = new Error(`no answer to ${args[0]} within ${this.timeoutMs} ms`);
        this.socket.destroy();
        reject(this.failure);
      }, this.timeoutMs);
      this.waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply instanceof RespError) reject(reply);
          else resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.socket.write(Buffer.concat(parts));
      this.drain();
    });
  }

  /** Closes the connection (no `QUIT`: nothing is pending). */
  close(): void {
    this.failure ??= new Error('connection closed');
    this.socket.destroy();
  }

  private drain(): void {
    if (!this.waiting) return;
    let parsed: ReturnType<typeof parseReply>;
    try {
      parsed = parseReply(this.buffer, 0);
    } catch (error) {
      this.failure = error as Error;
      this.socket.destroy();
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.reject(error as Error);
      return;
    }
    if (parsed === undefined) return;
    this.buffer = this.buffer.subarray(parsed.next);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve(parsed.reply);
  }
}

/** Parses one RESP2 reply at `offset`; `undefined` while it is incomplete. */
function parseReply(buffer: Buffer, offset: number): { reply: RespReply; next: number } | undefined {
  const end = buffer.indexOf('\r\n', offset);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
      return { reply: line, next };
    case '-':
      return { reply: new RespError(line), next };
    case ':':
      return { reply: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, next };
      const items: RespReply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (item === undefined) return undefined;
        items.push(item.reply);
        at = item.next;
      }
      return { reply: items, next: at };
    }
    default:
      throw new BackupError(
        'RESTORE_FAILED',
        `Unexpected reply from Redis (type byte ${JSON.stringify(type)})`,
      );
  }
}
