/**
 * One user table's facts, in the form `@backup/postgres` records them in a database unit's manifest
 * metadata `tableStats` at backup time, and as {@link countTables} reads them after a restore.
 */
export interface TableCount {
  /** `schema.table`, quoted as needed (`format('%I.%I')`). */
  table: string;
  /** Exact `count(*)`. */
  rows: number;
  /** `pg_total_relation_size` in bytes. */
  bytes: number;
}
