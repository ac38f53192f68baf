import type { ConnectionOptions } from 'node:tls';
import { BackupError, type EngineContext } from '@backup/core';
import { endpointLabel, parseClusterNodes, type RedisEndpoint } from '@backup/redis';
import { RespConnection } from './RespConnection.js';

/** What a Redis target holds, as the restore adapter sees it before and after a restore. */
export interface RedisTargetState {
  /** `host:port` of the server named by the URL, never credentials. */
  server: string;
  /** `cluster_enabled:1`: the counts are summed over every master with slots. */
  cluster: boolean;
  /** Keys per database number (`INFO keyspace`, the same number `DBSIZE` gives); empty databases are absent. */
  keys: Map<number, number>;
  /** The endpoints counted: the server itself, or every master of a cluster (for `FLUSHALL`). */
  nodes: RedisEndpoint[];
}

/**
 * Reads a Redis target without changing anything: `INFO` (keyspace and `cluster_enabled`) on the
 * server of `endpoint`, and for a Redis Cluster `CLUSTER NODES` then `INFO keyspace` on every master
 * with slots, summed. Needs `+info` (and `+cluster|nodes` on clusters).
 *
 * @throws BackupError `RESTORE_FAILED` naming the server when it cannot be reached or read.
 */
export async function inspectRedisTarget(
  endpoint: RedisEndpoint,
  tls: ((host: string) => ConnectionOptions | undefined) | undefined,
  ctx: EngineContext,
): Promise<RedisTargetState> {
  const server = endpointLabel(endpoint);
  const read = async <T>(ep: RedisEndpoint, fn: (c: RespConnection) => Promise<T>): Promise<T> => {
    const connection = await RespConnection.open(ep, {
      tls: ep.tls ? tls?.(ep.host) : undefined,
      signal: ctx.signal,
    });
    try {
      return await fn(connection);
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError(
        'RESTORE_FAILED',
        `Reading the restore target ${endpointLabel(ep)} failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      connection.close();
    }
  };
  const info = await read(endpoint, async (c) => String(await c.command('INFO')));
  const cluster = /^cluster_enabled:1\s*$/m.test(info);
  if (!cluster) {
    return { server, cluster, keys: keyspaceOf(info), nodes: [{ ...endpoint, db: undefined }] };
  }
  const text = await read(endpoint, async (c) => String(await c.command('CLUSTER', 'NODES')));
  const masters = parseClusterNodes(text, endpoint.host).filter(
    (n) => n.role === 'master' && n.slots.length > 0 && !n.flags.some((f) => f === 'fail' || f === 'noaddr'),
  );
  const keys = new Map<number, number>();
  const nodes: RedisEndpoint[] = [];
  for (const master of masters) {
    const node: RedisEndpoint = { ...endpoint, host: master.host, port: master.port, db: undefined };
    nodes.push(node);
    const counts = keyspaceOf(await read(node, async (c) => String(await c.command('INFO', 'keyspace'))));
    for (const [db, n] of counts) keys.set(db, (keys.get(db) ?? 0) + n);
  }
  return { server, cluster, keys, nodes };
}

/** `db0:keys=12,expires=3,avg_ttl=0` lines of an `INFO` reply -> keys per database. */
function keyspaceOf(info: string): Map<number, number> {
  const keys = new Map<number, number>();
  for (const match of info.matchAll(/^db(\d+):keys=(\d+)/gm)) {
    const n = Number(match[2]);
    if (n > 0) keys.set(Number(match[1]), n);
  }
  return keys;
}
