/**
 * The steps of a Neo4j restore, in order: `prepare` (create the database on Enterprise, check it
 * is empty), `wipe` (with `force`), `nodes`, `relationships`, `cleanup` (remove the temporary
 * import ids and index), `schema` (constraints, then indexes), `check` (counts), `done`.
 */
export type Neo4jRestorePhase =
  | 'prepare'
  | 'wipe'
  | 'nodes'
  | 'relationships'
  | 'cleanup'
  | 'schema'
  | 'check'
  | 'done';

/** Reported through `Neo4jRestoreOptions.onProgress` at each phase and after every transaction. */
export interface Neo4jRestoreProgress {
  /** Unit (source database) being restored. */
  unit: string;
  /** Target database. */
  database: string;
  phase: Neo4jRestorePhase;
  /** Node lines committed so far (including lines skipped by `resume`). */
  nodes: number;
  /** Relationship lines committed so far (including lines skipped by `resume`). */
  relationships: number;
  /** Node lines in the backup (from its schema document). */
  totalNodes: number;
  /** Relationship lines in the backup. */
  totalRelationships: number;
}
