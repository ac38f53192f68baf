import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { BackupError, type Logger, silentLogger } from '@backup/core';
import { encodeResp } from './encodeResp.js';
import { endpointLabel, type RedisEndpoint } from './parseRedisUrl.js';
import { type RdbFraming, ReplicationRdbStream } from './ReplicationRdbStream.js';
import { redisFailure } from './redisFailure.js';

/** Size of the socket's reused read buffer: 64 KiB, what libuv suggests per read. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Options of {@link openRdbStream}. */
export interface OpenRdbStreamOptions {
  endpoint: RedisEndpoint;
  /** Node TLS options for `rediss://` endpoints. */
  tls?: ConnectionOptions | undefined;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /** Connect (and TLS handshake) timeout; default 10,000 ms. */
  connectTimeoutMs?: number | undefined;
  /**
   * Fail when nothing arrives for this long, keepalive newlines included (the master sends one
   * per second while it prepares the RDB); default 60,000 ms.
   */
  idleTimeoutMs?: number | undefined;
  /** Passed to {@link ReplicationRdbStream}: sees every RDB byte; a throw fails the transfer. */
  onChunk?: ((chunk: Buffer) => void) | undefined;
  /** Passed to {@link ReplicationRdbStream}: final check once the whole RDB arrived. */
  onEnd?: (() => void) | undefined;
}

/** An RDB transfer in progress. */
export interface RdbTransfer {
  /** The RDB bytes; ends only when complete, errors on any failure. */
  stream: ReplicationRdbStream;
  /** `disk`: `$<len>` (BGSAVE to disk, then sent); `diskless`: `$EOF:<mark>` (streamed from the fork). */
  transfer: 'disk' | 'diskless';
  /** RDB size announced by a disk-based transfer. */
  length: number | undefined;
  /** The server accepted `REPLCONF rdb-only 1` (7.0+): it closes the link after the RDB. */
  rdbOnly: boolean;
}

/**
 * Pulls a consistent RDB snapshot over the network the way `redis-cli --rdb` does
 * (`redis/redis:src/redis-cli.c` `sendCapa`, `sendRdbOnly`, `sendSync`, `getRDB`; protocols.md
 * 2.1), on a raw `node:net`/`node:tls` socket:
 *
 * 1. `AUTH [user] password` when the URL has credentials;
 * 2. `REPLCONF capa eof` (an error is tolerated: then the server uses disk-based sync);
 * 3. `REPLCONF rdb-only 1` (7.0+; the server closes the link after the RDB, with no command
 *    stream; an error is tolerated on older servers);
 * 4. `SYNC`, then the preamble, skipping the bare `\n` keepalives the master sends while BGSAVE runs
 *    (or during `repl-diskless-sync-delay`): `$<len>` (disk) or `$EOF:<40-char mark>` (diskless).
 *
 * Resolves once the preamble arrived (so the framing is known) with a stream of the RDB bytes.
 *
 * @throws BackupError `SOURCE_FAILED`: connection/TLS failure, wrong credentials, a refused `SYNC`
 *   (`NOPERM`, or a managed service that disabled it: the message points to `mode: keys`), or the
 *   link closing before the preamble; `ABORTED` when the signal fires.
 */
export async function openRdbStream(options: OpenRdbStreamOptions): Promise<RdbTransfer> {
  const { endpoint } = options;
  const label = endpointLabel(endpoint);
  const logger = options.logger ?? silentLogger;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  if (options.signal?.aborted) throw new BackupError('ABORTED', `RDB transfer from ${label} was aborted`);

  // Reads land in buffers we give the socket (`onread`, node:net docs: `buffer` may be a function,
  // called for the buffer of each next read) instead of a new Buffer per read. During the
  // handshake: one reused buffer, whose bytes are copied into `buffered`. Once the RDB flows: the
  // free end of the stream's current chunk, so the bytes are read where they are pushed from,
  // with no copy. Measured on a 122.6 MB RDB: ~0.15 CPU-s less per transfer than 'data' events
  // (a new Buffer and a stream push per ~16 KiB read) for the reused buffer alone.
  const handshakeBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let nextBuffer = (): Buffer => handshakeBuffer;
  let deliver = (data: Uint8Array, length: number): void => onData(Buffer.from(data.subarray(0, length)));
  const onread = {
    buffer: () => nextBuffer(),
    callback: (length: number, data: Uint8Array): boolean => {
      deliver(data, length);
      return true;
    },
  };
  // tls.connect takes `onread` as well (node:tls docs, tls.connect options); @types/node omits it.
  const tlsOptions: ConnectionOptions = { host: endpoint.host, port: endpoint.port, ...(options.tls ?? {}) };
  // node:tls is loaded only for rediss:// (importing it costs ~15 ms of start-up; measured).
  const socket: Socket = endpoint.tls
    ? (await import('node:tls')).connect(Object.assign(tlsOptions, { onread }))
    : netConnect({ host: endpoint.host, port: endpoint.port, onread });
  socket.setNoDelay(true);

  let buffered: Buffer = Buffer.alloc(0);
  let failure: Error | undefined;
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    notify();
  };
  const onError = (error: Error) => {
    failure ??= error;
    notify();
  };
  const onClose = () => {
    closed = true;
    notify();
  };
  const onAbort = () => {
    failure ??= new BackupError('ABORTED', `RDB transfer from ${label} was aborted`);
    socket.destroy();
    notify();
  };
  socket.on('error', onError);
  socket.on('close', onClose);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const detach = () => {
    deliver = () => {};
    socket.off('error', onError);
    socket.off('close', onClose);
    options.signal?.removeEventListener('abort', onAbort);
  };
  const giveUp = (error: BackupError): never => {
    detach();
    socket.on('error', () => {});
    socket.destroy();
    throw error;
  };
  const check = (stage: string) => {
    if (failure instanceof BackupError) giveUp(failure);
    if (failure) giveUp(redisFailure(failure, 'SOURCE_FAILED', `${stage} on ${label}`));
    if (closed)
      giveUp(
        new BackupError('SOURCE_FAILED', `${stage} on ${label} failed: the server closed the connection`),
      );
  };
  const waitForData = async (stage: string, timeoutMs: number): Promise<void> => {
    check(stage);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await new Promise<boolean>((resolve) => {
      wake = () => resolve(false);
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    clearTimeout(timer);
    if (timedOut) {
      giveUp(
        new BackupError(
          'SOURCE_FAILED',
          `${stage} on ${label} timed out after ${Math.round(timeoutMs / 1000)} s`,
        ),
      );
    }
  };
  const readLine = async (stage: string, skipKeepalives: boolean): Promise<string> => {
    for (;;) {
      const newline = buffered.indexOf(10);
      if (newline >= 0) {
        const line = buffered.toString('latin1', 0, newline).replace(/\r$/, '');
        buffered = buffered.subarray(newline + 1);
        if (skipKeepalives && line === '') continue;
        return line;
      }
      await waitForData(stage, idleTimeoutMs);
    }
  };
  const command = async (args: readonly string[], stage: string): Promise<string> => {
    socket.write(encodeResp([args]));
    return readLine(stage, false);
  };

  // Connected (and TLS established)?
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off(endpoint.tls ? 'secureConnect' : 'connect', done);
      resolve();
    };
    const timer = setTimeout(() => {
      failure ??= new BackupError(
        'SOURCE_FAILED',
        `Connecting to ${label} timed out after ${Math.round((options.connectTimeoutMs ?? 10_000) / 1000)} s`,
      );
      done();
    }, options.connectTimeoutMs ?? 10_000);
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', done);
    wake = done;
  });
  check('Connecting for the replication handshake');

  if (endpoint.password !== undefined) {
    const args = endpoint.username
      ? ['AUTH', endpoint.username, endpoint.password]
      : ['AUTH', endpoint.password];
    const reply = await command(args, 'AUTH');
    if (!reply.startsWith('+')) {
      giveUp(redisFailure(new Error(reply.replace(/^-/, '')), 'SOURCE_FAILED', `AUTH on ${label}`));
    }
  }
  const capa = await command(['REPLCONF', 'capa', 'eof'], 'REPLCONF capa eof');
  if (!capa.startsWith('+'))
    logger.warn({ server: label, reply: capa }, 'REPLCONF capa eof refused; disk-based sync');
  const rdbOnlyReply = await command(['REPLCONF', 'rdb-only', '1'], 'REPLCONF rdb-only');
  const rdbOnly = rdbOnlyReply.startsWith('+');
  if (!rdbOnly) {
    if (/^-NOPERM/.test(rdbOnlyReply)) {
      giveUp(syncRefused(label, rdbOnlyReply));
    }
    logger.debug({ server: label, reply: rdbOnlyReply }, 'REPLCONF rdb-only refused (server older than 7.0)');
  }

  socket.write('SYNC\r\n');
  let framing: RdbFraming | undefined;
  while (!framing) {
    const line = await readLine('Waiting for the RDB after SYNC', true);
    if (line.startsWith('-')) giveUp(syncRefused(label, line));
    if (line.startsWith('+')) continue; // +FULLRESYNC / +CONTINUE (PSYNC replies), not expected after SYNC
    const eof = /^\$EOF:(.{40})$/.exec(line);
    if (eof) {
      framing = { kind: 'eof', mark: Buffer.from(eof[1]!, 'latin1') };
      break;
    }
    const length = /^\$(\d+)$/.exec(line);
    if (length) {
      framing = { kind: 'length', length: Number(length[1]) };
      break;
    }
    giveUp(
      new BackupError(
        'SOURCE_FAILED',
        `Unexpected reply to SYNC from ${label}: ${JSON.stringify(line.slice(0, 80))} (is this a Redis server?)`,
      ),
    );
  }
  detach();
  const initial = buffered;
  buffered = Buffer.alloc(0);
  logger.debug({ server: label, framing: framing.kind, rdbOnly }, 'RDB transfer started');
  const stream = new ReplicationRdbStream(socket, initial, framing, {
    label,
    idleTimeoutMs,
    signal: options.signal,
    onChunk: options.onChunk,
    onEnd: options.onEnd,
  });
  // The read already under way goes into the handshake buffer (copied by commitRead); the next
  // ones straight into the stream's chunks.
  deliver = (data, length) => stream.commitRead(data, length);
  nextBuffer = () => stream.readTarget();
  return {
    stream,
    transfer: framing.kind === 'eof' ? 'diskless' : 'disk',
    length: framing.kind === 'length' ? framing.length : undefined,
    rdbOnly,
  };
}

function syncRefused(label: string, reply: string): BackupError {
  const message = reply.replace(/^-/, '');
  let hint = 'use mode: keys for servers that do not allow SYNC (managed services)';
  if (/^NOPERM/.test(message)) {
    hint = 'grant the ACL user +sync and +replconf (and +info), or use mode: keys';
  } else if (/unknown command/i.test(message)) {
    hint = 'SYNC is disabled or renamed on this server (managed services do that): use mode: keys';
  }
  return new BackupError('SOURCE_FAILED', `${label} refused SYNC: ${message}; ${hint}`, {
    details: { reply: message },
  });
}
