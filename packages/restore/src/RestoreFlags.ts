/**
 * What a person or a runbook says about the target, engine-neutral: `--target`, `--into`,
 * `--force`, and the engine-specific switches the CLI offers. A `RestoreAdapter` turns them into its
 * engine's restore options (`RestoreAdapter.restoreOptions`); an adapter throws `CONFIG_INVALID` for
 * a flag its engine cannot honour (e.g. `globals` for Qdrant).
 */
export interface RestoreFlags {
  /** Target server URL (`--target`); default: the job's own server. */
  target?: string | undefined;
  /** Restore the one chosen unit under this name (`--into`): a new database, collection... */
  into?: string | undefined;
  /** Overwrite non-empty targets (`--force`). Without it a non-empty target is refused (`TARGET_NOT_EMPTY`). */
  force?: boolean | undefined;
  /** PostgreSQL: also replay roles and tablespaces, the `globals` unit (`--globals`). */
  globals?: boolean | undefined;
  /** PostgreSQL: `pg_restore --no-owner` (`--no-owner`). */
  noOwner?: boolean | undefined;
}
