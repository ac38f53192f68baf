import { z } from '@backup/zod';

/**
 * Zod schema of the Redis-specific keys of a YAML job, composed by `@backup/config` as
 * `{ name, engine: 'redis', ...redisJobOptionsSchema.shape }`. Keys and defaults mirror
 * `RedisEngineOptions` (which also rejects combinations this object schema cannot see, such as
 * `match` with `mode: rdb`, with `CONFIG_INVALID`):
 *
 * ```yaml
 * - name: redis
 *   engine: redis
 *   url: redis://backup:${REDIS_PASSWORD}@redis.ai-platform:6379   # rediss:// for TLS
 *   mode: rdb            # rdb (default: SYNC, one consistent RDB) | keys (SCAN + DUMP, per database)
 *   # keys mode only:
 *   match: "session:*"   # SCAN MATCH pattern; default all keys
 *   databases: [0, 1]    # default: every database with keys (and db0)
 *   cluster: false       # true: the URL is a Redis Cluster node; one unit per master
 *   tls:                 # only for rediss:// URLs
 *     caFile: /etc/redis-tls/ca.crt
 *     certFile: /etc/redis-tls/tls.crt
 *     keyFile: /etc/redis-tls/tls.key
 * ```
 */
export const redisJobOptionsSchema = z.object({
  /** `redis://[user:password@]host:port` or `rediss://` (TLS). */
  url: z.string().regex(/^rediss?:\/\//i, 'must start with redis:// or rediss://'),
  /** `rdb` (default): replication SYNC, one RDB per instance/master. `keys`: SCAN + DUMP per database. */
  mode: z.enum(['rdb', 'keys']).default('rdb'),
  /** Keys mode: SCAN MATCH glob pattern (`session:*`). */
  match: z.string().min(1).optional(),
  /** Keys mode: database numbers to export; default every database with keys, and db0. */
  databases: z.array(z.number().int().min(0)).min(1, 'list at least one database').optional(),
  /** The URL names a Redis Cluster node: back up every master. Default false. */
  cluster: z.boolean().default(false),
  /** TLS files for `rediss://` (PEM paths). */
  tls: z
    .object({
      caFile: z.string().min(1).optional(),
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      servername: z.string().min(1).optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
});

/** The Redis keys of a validated job (defaults applied). */
export type RedisJobOptions = z.infer<typeof redisJobOptionsSchema>;
