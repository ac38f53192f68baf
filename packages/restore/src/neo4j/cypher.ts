import { quoteIdentifier } from '@backup/neo4j';

// The Cypher the Neo4j restore adapter sends besides the statements of `@backup/neo4j` (whose
// SHOW / COUNT queries it reuses). Integer literals only: this package passes no Integer parameters.

/** Nodes per label (a node with two labels counts for both): columns `label`, `nodes`. */
export const COUNT_NODES_BY_LABEL_QUERY =
  'MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS nodes';

/** Relationships per type: columns `type`, `relationships`. */
export const COUNT_RELATIONSHIPS_BY_TYPE_QUERY =
  'MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS relationships';

/** Deletes up to 10,000 nodes with their relationships (emptying a Community drill database): column `deleted`. */
export const WIPE_NODES_BATCH_QUERY =
  'MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted';

/** Drops database `name` and its data, waiting until it is gone (Enterprise; run against `system`). */
export function dropDatabaseQuery(name: string): string {
  return `DROP DATABASE ${quoteIdentifier(name)} IF EXISTS WAIT`;
}
