/**
 * Media type of `<db>.graph.jsonl`: JSON Lines (one JSON object per line, `\n`-terminated), the
 * `apoc.export.json.all` line shape plus exact types (docs/format.md, "Neo4j graph").
 */
export const NEO4J_GRAPH_MEDIA_TYPE = 'application/x-ndjson';

/** Media type of `<db>.schema.json`: one JSON document (docs/format.md, "Neo4j schema"). */
export const NEO4J_SCHEMA_MEDIA_TYPE = 'application/json';
