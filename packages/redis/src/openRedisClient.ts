import type { ConnectionOptions } from 'node:tls';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { endpointLabel, type RedisEndpoint } from './parseRedisUrl.js';
import { redisFailure } from './redisFailure.js';

/**
 * ioredis, imported on first use: it costs 60-120 ms of module loading (measured, Node 24), and
 * only restores over the network use it (backups use raw sockets: `openRdbStream`, `RespConnection`).
 */
function loadIoredis() {
  return import('ioredis');
}

/** Options of {@link openRedisClient} and {@link openRedisCluster}. */
export interface OpenRedisClientOptions {
  /** Node TLS options (from `tlsConnectionOptions`) when the endpoint uses TLS. */
  tls?: ConnectionOptions | undefined;
  /** Database to `SELECT`; default the endpoint's, else 0. */
  db?: number | undefined;
  /** Error code for connection failures. */
  errorCode: 'SOURCE_FAILED' | 'RESTORE_FAILED' | 'VERIFY_FAILED';
  /** Connect timeout in ms; default 10,000. */
  connectTimeoutMs?: number | undefined;
  /** ioredis auto-pipelining (commands of one tick share a write); default `false`. */
  autoPipelining?: boolean | undefined;
}

function baseOptions(endpoint: RedisEndpoint, options: OpenRedisClientOptions): RedisOptions {
  return {
    username: endpoint.username,
    password: endpoint.password,
    tls: endpoint.tls ? (options.tls ?? {}) : undefined,
    // RESP2: no HELLO, so ACL users need no +hello and servers without RESP3 work too.
    protocol: 2,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    // A backup never reconnects behind the caller's back: a dropped connection fails the operation.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    disableClientInfo: true,
    lazyConnect: true,
    enableAutoPipelining: options.autoPipelining ?? false,
    connectionName: 'backup',
  };
}

/**
 * Connects an ioredis client (RESP2, no reconnects, lazy connect awaited) to a standalone server
 * or one cluster node. Errors on the client after connecting surface through command rejections.
 *
 * @throws BackupError with `options.errorCode` (`WRONGPASS`, refused connection, TLS failure...).
 */
export async function openRedisClient(
  endpoint: RedisEndpoint,
  options: OpenRedisClientOptions,
): Promise<Redis> {
  const { Redis } = await loadIoredis();
  const client = new Redis({
    ...baseOptions(endpoint, options),
    host: endpoint.host,
    port: endpoint.port,
    db: options.db ?? endpoint.db ?? 0,
  });
  // ioredis reports the cause (WRONGPASS, ECONNREFUSED, a TLS error) as an 'error' event and
  // rejects connect() with a bare "Connection is closed": keep the cause for the message.
  let cause: unknown;
  client.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw redisFailure(
      cause ?? error,
      options.errorCode,
      `Connecting to Redis at ${endpointLabel(endpoint)}`,
    );
  }
  return client;
}

/**
 * Connects an ioredis `Cluster` (slot map from `CLUSTER SLOTS`, commands routed by key slot) seeded
 * with `endpoint`; credentials and TLS apply to every node.
 *
 * @throws BackupError with `options.errorCode`.
 */
export async function openRedisCluster(
  endpoint: RedisEndpoint,
  options: OpenRedisClientOptions,
): Promise<Cluster> {
  const { Cluster } = await loadIoredis();
  const cluster = new Cluster([{ host: endpoint.host, port: endpoint.port }], {
    redisOptions: baseOptions(endpoint, options),
    lazyConnect: true,
    enableReadyCheck: true,
    clusterRetryStrategy: () => null,
    maxRedirections: 16,
    enableAutoPipelining: options.autoPipelining ?? false,
  });
  cluster.on('error', () => {
    // reported through the rejected commands
  });
  try {
    await cluster.connect();
  } catch (error) {
    cluster.disconnect();
    throw redisFailure(
      error,
      options.errorCode,
      `Connecting to the Redis Cluster at ${endpointLabel(endpoint)}`,
    );
  }
  return cluster;
}
