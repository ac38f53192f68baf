/**
 * What a Neo4j database holds, counted: the shape `@backup/neo4j` records in a graph unit's
 * manifest metadata at backup time (`nodes`, `relationships`, `labels`, `relationshipTypes`, counted
 * from the lines of the export) and that `countGraph` reads after a restore.
 */
export interface GraphCounts {
  nodes: number;
  relationships: number;
  /** Nodes per label (a node with two labels counts for both). */
  labels: Record<string, number>;
  /** Relationships per type. */
  relationshipTypes: Record<string, number>;
}
