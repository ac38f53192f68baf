import { parseInfo } from './parseInfo.js';

/** What {@link readServerFacts} needs of a client: an ioredis client or the engine's own connection. */
export interface ServerInfoSource {
  /** `INFO` (default sections) as text. */
  info(): Promise<string>;
}

/** Keys of one database, from `INFO keyspace`. */
export interface KeyspaceEntry {
  keys: number;
  expires: number;
}

/** What the engine records about a server (manifest `engine.metadata` and unit metadata). */
export interface RedisServerFacts {
  /** `redis_version`, e.g. `7.0.15`. */
  version: string;
  /** `redis_mode`: `standalone`, `cluster` or `sentinel`. */
  mode: string;
  /** `role`: `master` or `slave`. */
  role: string;
  /** `used_memory` in bytes. */
  usedMemory: number;
  /** `used_memory_human`, e.g. `1.05M`. */
  usedMemoryHuman: string;
  /** Keys per database, e.g. `{ db0: { keys: 12, expires: 3 } }`: only non-empty databases are listed. */
  keyspace: Record<string, KeyspaceEntry>;
  /** Loaded modules (`INFO modules`), e.g. `[{ name: 'graph', version: '41000' }]` for FalkorDB. */
  modules: Array<{ name: string; version: string }>;
  /** `cluster_enabled:1`. */
  clusterEnabled: boolean;
  /** `maxmemory_policy`, when reported. */
  maxmemoryPolicy: string | undefined;
}

/**
 * Reads `INFO` (default sections: server, memory, persistence, replication, modules, cluster,
 * keyspace...) and extracts {@link RedisServerFacts}. Needs the `+info` ACL permission. Throws the
 * client's error (callers wrap it with `redisFailure`).
 */
export async function readServerFacts(client: ServerInfoSource): Promise<RedisServerFacts> {
  return serverFactsFromInfo(parseInfo(await client.info()));
}

/** {@link RedisServerFacts} from a parsed `INFO` map. */
export function serverFactsFromInfo(info: Record<string, string>): RedisServerFacts {
  const keyspace: Record<string, KeyspaceEntry> = {};
  for (const [field, value] of Object.entries(info)) {
    if (!/^db\d+$/.test(field)) continue;
    const keys = /(?:^|,)keys=(\d+)/.exec(value)?.[1];
    const expires = /(?:^|,)expires=(\d+)/.exec(value)?.[1];
    keyspace[field] = { keys: Number(keys ?? 0), expires: Number(expires ?? 0) };
  }
  const modules: Array<{ name: string; version: string }> = [];
  for (const line of (info['module'] ?? '').split('\n')) {
    const name = /(?:^|,)name=([^,]+)/.exec(line)?.[1];
    if (name) modules.push({ name, version: /(?:^|,)ver=([^,]+)/.exec(line)?.[1] ?? '' });
  }
  return {
    version: info['redis_version'] ?? 'unknown',
    mode: info['redis_mode'] ?? 'standalone',
    role: info['role'] ?? 'master',
    usedMemory: Number(info['used_memory'] ?? 0),
    usedMemoryHuman: info['used_memory_human'] ?? '',
    keyspace,
    modules,
    clusterEnabled: info['cluster_enabled'] === '1',
    maxmemoryPolicy: info['maxmemory_policy'],
  };
}
