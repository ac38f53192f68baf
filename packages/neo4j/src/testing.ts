// @backup/neo4j/testing: the in-memory Neo4j session double, for tests of this package and of packages
// that drive the neo4j engine (the restore adapter of @backup/restore). Not for production.

export type { SchemaItem, StoredNode, StoredRelationship, Undo } from './testing/InMemoryGraph.js';
export { InMemoryGraph } from './testing/InMemoryGraph.js';
export type {
  ExecutedStatement,
  Fault,
  Neo4jDoubleOptions,
  TransactionRecord,
} from './testing/Neo4jDouble.js';
export { Neo4jDouble, serverError } from './testing/Neo4jDouble.js';
