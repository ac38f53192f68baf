import { z } from '@backup/zod';

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+/i, 'must be an http:// or https:// URL of the Qdrant REST API (port 6333)');

/**
 * Zod schema of the Qdrant-specific keys of a YAML job, composed by `@backup/config` as
 * `{ name, engine: 'qdrant', ...qdrantJobOptionsSchema.shape }`. Keys and defaults mirror
 * `QdrantEngineOptions`; `createQdrantEngine` checks what a plain object schema cannot (exactly one
 * of `url` / `nodes`, `mode: full` only with a single node) and throws `CONFIG_INVALID`.
 *
 * ```yaml
 * - name: qdrant
 *   engine: qdrant
 *   url: http://qdrant.ai-platform:6333      # or nodes: [http://qdrant-0...:6333, http://qdrant-1...:6333]
 *   apiKey: ${QDRANT_API_KEY}                # optional; default env QDRANT_API_KEY
 *   collections: all                         # or [runbooks, entities]; default all
 *   exclude: [scratch]                       # default []
 *   mode: snapshot                           # snapshot | full | export; default snapshot
 *   deleteServerSnapshots: true              # default true
 *   timeoutMs: 300000                        # JSON requests, and max silence of a download; default 5 min
 *   snapshotTimeoutMs: 21600000              # snapshot creation and restore; default 6 h
 *   retries: 3                               # transient errors of idempotent requests; default 3
 *   retryDelayMs: 1000                       # first backoff, doubled per attempt; default 1 s
 *   batchSize: 256                           # export scroll page / import upsert batch; default 256
 * ```
 */
export const qdrantJobOptionsSchema = z.object({
  /** REST URL of a single Qdrant node, e.g. `http://qdrant.ai-platform:6333`. */
  url: httpUrl.optional(),
  /** REST URLs of EVERY node of a distributed cluster (each holds its own shards). */
  nodes: z.array(httpUrl).min(1, 'list at least one node URL').optional(),
  /** Sent as the `api-key` header; default env `QDRANT_API_KEY`. Usually `${QDRANT_API_KEY}`. */
  apiKey: z.string().min(1).optional(),
  /** `all` or a list of collection names (each must exist). */
  collections: z
    .union([z.literal('all'), z.array(z.string().min(1)).min(1, 'list at least one collection, or use all')])
    .default('all'),
  /** Collection names to skip. */
  exclude: z.array(z.string().min(1)).default([]),
  /**
   * `snapshot`: one native snapshot per collection (and node); `full`: one storage snapshot with
   * aliases (single-node deployments only); `export`: portable NDJSON of every point (any version).
   */
  mode: z.enum(['snapshot', 'full', 'export']).default('snapshot'),
  /** Delete the server-side snapshot after it was downloaded (success or failure). */
  deleteServerSnapshots: z.boolean().default(true),
  /** Milliseconds: each JSON request, and the longest silence tolerated while downloading a snapshot. */
  timeoutMs: z.number().int().positive().default(300_000),
  /** Milliseconds: creating a snapshot with `wait=true`, and a restore (upload/recover with `wait=true`). */
  snapshotTimeoutMs: z.number().int().positive().default(21_600_000),
  /** Retries of idempotent requests on transient errors (connection refused/reset, 429, 502, 503, 504). */
  retries: z.number().int().min(0).max(20).default(3),
  /** First retry delay in milliseconds, doubled per attempt (a `Retry-After` header wins). */
  retryDelayMs: z.number().int().min(0).default(1000),
  /** Points per scroll page (export) and per upsert batch (import). */
  batchSize: z.number().int().min(1).max(10_000).default(256),
});

/** The Qdrant keys of a validated job (defaults applied). */
export type QdrantJobOptions = z.infer<typeof qdrantJobOptionsSchema>;
