import { z } from '@backup/zod';

/**
 * Zod schema of the PostgreSQL-specific keys of a YAML job, composed by `@backup/config` as
 * `{ name, engine: 'postgres', ...postgresJobOptionsSchema.shape }`. Keys and defaults mirror
 * `PostgresEngineOptions`:
 *
 * ```yaml
 * - name: postgresql
 *   engine: postgres
 *   url: postgres://backup:${PGPASSWORD}@postgresql.ai-platform:5432/postgres   # optional
 *   databases: all        # or [outline, langgraph]; default all
 *   exclude: [scratch]    # default []
 *   globals: true         # pg_dumpall --globals-only as globals.sql; default true
 *   binDir: /usr/lib/postgresql/16/bin   # optional
 *
 * - name: postgresql-physical
 *   engine: postgres
 *   mode: physical        # pg_basebackup of the whole cluster + WAL archive (docs/pitr.md)
 *   url: postgres://replicator:${PGPASSWORD}@postgresql.ai-platform:5432/postgres
 *   checkpoint: fast      # or spread; default fast
 * ```
 *
 * `mode` absent means `logical`, so existing jobs parse unchanged. In `physical` mode `databases`,
 * `exclude` and `globals` are ignored (the whole cluster is copied).
 */
export const postgresJobOptionsSchema = z.object({
  /**
   * `logical` (default when absent): pg_dump per database. `physical`: `pg_basebackup` of the whole
   * cluster, WAL archiving with `backup wal-push`, point-in-time recovery (`createPostgresPhysicalEngine`).
   */
  mode: z.enum(['logical', 'physical']).optional(),
  /** Physical mode: `pg_basebackup --checkpoint`, `fast` (default) or `spread`. */
  checkpoint: z.enum(['fast', 'spread']).optional(),
  /** `postgres://user:password@host:port/database?sslmode=...`; default: the PG* environment variables. */
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//i, 'must start with postgres:// or postgresql://')
    .optional(),
  /** `all` (every non-template database that allows connections) or a list of database names. */
  databases: z
    .union([z.literal('all'), z.array(z.string().min(1)).min(1, 'list at least one database, or use all')])
    .default('all'),
  /** Database names to skip. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Also back up roles and tablespaces (`pg_dumpall --globals-only`). */
  globals: z.boolean().default(true),
  /** Directory of pg_dump/pg_restore/psql; default the newest /usr/lib/postgresql/<major>/bin, else PATH. */
  binDir: z.string().min(1).optional(),
});

/** The PostgreSQL keys of a validated job (defaults applied). */
export type PostgresJobOptions = z.infer<typeof postgresJobOptionsSchema>;
