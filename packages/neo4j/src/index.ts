// @backup/neo4j public API: explicit named exports, types kept apart.

export { graphArtifactName, schemaArtifactName } from './artifactNames.js';
export type { Neo4jConnectionOptions, Neo4jTlsOptions } from './createDriver.js';
export { createDriver, NEO4J_URI_SCHEME } from './createDriver.js';
export type { Neo4jEngineOptions, Neo4jRestoreOptions } from './createNeo4jEngine.js';
export { createNeo4jEngine, DEFAULT_BATCH_SIZE, DEFAULT_PAGE_SIZE } from './createNeo4jEngine.js';
export {
  ANY_NODE_QUERY,
  AWAIT_INDEX_QUERY,
  COUNT_IMPORT_NODES_QUERY,
  COUNT_NODES_QUERY,
  COUNT_RELATIONSHIPS_QUERY,
  CREATE_IMPORT_INDEX_QUERY,
  createDatabaseQuery,
  createNodesQuery,
  createRelationshipsQuery,
  DELETE_NODES_BATCH_QUERY,
  DROP_IMPORT_INDEX_QUERY,
  dropConstraintQuery,
  dropIndexQuery,
  IMPORT_ID_PROPERTY,
  IMPORT_INDEX_NAME,
  IMPORT_LABEL,
  NODE_PAGE_BY_ELEMENT_ID_QUERY,
  NODE_PAGE_BY_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ID_QUERY,
  REMOVE_IMPORT_IDS_BATCH_QUERY,
  SERVER_INFO_QUERY,
  SHOW_CONSTRAINTS_QUERY,
  SHOW_DATABASES_QUERY,
  SHOW_INDEXES_QUERY,
} from './cypher.js';
export { decodeGraphValue } from './decodeGraphValue.js';
export { formatDuration, parseDuration } from './durationText.js';
export { encodeGraphValue } from './encodeGraphValue.js';
export type { ExportGraphOptions, GraphCounts } from './exportGraph.js';
export { emptyGraphCounts, exportGraph } from './exportGraph.js';
export { formatGraphLine } from './formatGraphLine.js';
export type { GraphLine, GraphLineEndpoint, NodeLine, RelationshipLine } from './graphLine.js';
export type { EncodedGraphValue, EncodedJson, GraphValue } from './graphValue.js';
export type { DatabaseInfo } from './listDatabases.js';
export { listDatabases } from './listDatabases.js';
export { NEO4J_GRAPH_MEDIA_TYPE, NEO4J_SCHEMA_MEDIA_TYPE } from './mediaTypes.js';
export type {
  Neo4jDriverLike,
  Neo4jQueryResultLike,
  Neo4jQueryRunner,
  Neo4jSessionConfig,
  Neo4jSessionLike,
} from './Neo4jDriverLike.js';
export type { Neo4jRestorePhase, Neo4jRestoreProgress } from './Neo4jRestoreProgress.js';
export type { Neo4jJobOptions } from './neo4jJobOptionsSchema.js';
export { neo4jJobOptionsSchema } from './neo4jJobOptionsSchema.js';
export { parseExactJson } from './parseExactJson.js';
export { parseGraphLine } from './parseGraphLine.js';
export { POINT_CRS } from './pointJson.js';
export { quoteIdentifier } from './quoteIdentifier.js';
export type { RawJson } from './rawJson.js';
export { isRawJson, rawJson } from './rawJson.js';
export type { TextLine } from './readLines.js';
export { readLines } from './readLines.js';
export type { DatabaseSchema } from './readSchema.js';
export { readSchema } from './readSchema.js';
export type { GraphIdKind, ServerInfo } from './readServerInfo.js';
export { readServerInfo } from './readServerInfo.js';
export type { Neo4jResumePoint, RestoreGraphOptions } from './restoreGraph.js';
export { IMPORT_INDEX_TIMEOUT_SECONDS, restoreGraph } from './restoreGraph.js';
export type { Neo4jSchemaDocument, SchemaConstraint, SchemaIndex } from './schemaDocument.js';
export { neo4jSchemaDocumentSchema, schemaConstraintSchema, schemaIndexSchema } from './schemaDocument.js';
export type { GraphArtifactSummary } from './verifyGraphArtifact.js';
export { verifyGraphArtifact } from './verifyGraphArtifact.js';
export { verifySchemaArtifact } from './verifySchemaArtifact.js';
