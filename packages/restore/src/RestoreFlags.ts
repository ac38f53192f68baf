/**
 * What a person or a runbook says about the target, engine-neutral: `--target`, `--into`,
 * `--force`, and the engine-specific switches the CLI offers. A `RestoreAdapter` turns them into its
 * engine's restore options (`RestoreAdapter.restoreOptions`); an adapter throws `CONFIG_INVALID` for
 * a flag its engine cannot honour (e.g. `globals` for Qdrant).
 *
 * Per engine (docs/cli.md has the table):
 *
 * | flag | postgres | redis | qdrant | neo4j |
 * |---|---|---|---|---|
 * | `target` | server URL | `redis://` URL | node URL, or comma-separated node URLs | `neo4j://`/`bolt://` URI |
 * | `into` | database name | refused | collection name | database name |
 * | `force` | `pg_restore --clean` | `RESTORE ... REPLACE` | replace the collection | wipe the database first |
 * | `globals`, `noOwner` | yes | refused | refused | refused |
 * | `toFile` | refused | write the RDB for file placement | refused | refused |
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
  /**
   * Redis: write the verified RDB to this file, or into this existing directory (`dump.rdb`,
   * `master-<host>-<port>.rdb`), instead of restoring over the network (`--to-file`): the
   * file-placement restore (stop the server, place `dump.rdb`, start it), the one for module data
   * such as FalkorDB graphs in RDB sets. RDB sets only.
   */
  toFile?: string | undefined;
}
