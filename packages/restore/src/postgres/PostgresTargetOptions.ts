/**
 * The PostgreSQL engine's restore options, declared here structurally so `@backup/restore` needs no
 * runtime dependency on `@backup/postgres`: the same fields, meaning and defaults as its
 * `PostgresRestoreOptions` (a test checks that both types are assignable to each other).
 */
export interface PostgresTargetOptions {
  /** Target server URL; default: the job's own connection. */
  targetUrl?: string | undefined;
  /** Restore the single database unit under this name. */
  into?: string | undefined;
  /** Restore over a non-empty database (`pg_restore --clean --if-exists`). */
  force?: boolean | undefined;
  /** Restore the `globals` unit (roles, tablespaces) with psql. */
  globals?: boolean | undefined;
  /** `pg_restore --no-owner`. */
  noOwner?: boolean | undefined;
}
