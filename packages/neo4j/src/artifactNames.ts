/** Name of a database's graph artifact before pipeline suffixes: `neo4j.graph.jsonl`. */
export function graphArtifactName(database: string): string {
  return `${database}.graph.jsonl`;
}

/** Name of a database's schema artifact before pipeline suffixes: `neo4j.schema.json`. */
export function schemaArtifactName(database: string): string {
  return `${database}.schema.json`;
}
