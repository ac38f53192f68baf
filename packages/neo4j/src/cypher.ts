import { quoteIdentifier } from './quoteIdentifier.js';

// Every Cypher statement @backup/neo4j sends, in one module: the session double of the tests
// executes exactly these texts (and rejects any other), so production and double cannot drift.
// Integer parameters ($limit, $after on 4.4, $timeoutSeconds) must be sent as neo4j `Integer`s:
// the driver sends a JavaScript number as a FLOAT, and `LIMIT 10000.0` is an error.

/**
 * Server facts: `dbms.components()` (Neo4j 4.4, 5.x, 2025.x) gives `name` (`Neo4j Kernel`),
 * `versions` (`["5.26.0"]`) and `edition` (`community`/`enterprise`); `integerProbe` is the literal
 * 1 and tells whether the driver returns integers losslessly (`Integer`/`bigint`, not `number`).
 */
export const SERVER_INFO_QUERY =
  'CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition, 1 AS integerProbe';

/**
 * Databases of the DBMS, run against `system`. Columns used: `name`, `currentStatus`, `type`
 * (5.x: `system`/`standard`/`composite`; absent on 4.4), `default`. One row per database and
 * server in a cluster. Source: Operations manual, "Listing databases".
 */
export const SHOW_DATABASES_QUERY = 'SHOW DATABASES';

/**
 * One page of nodes on Neo4j 5+ (keyset pagination on `elementId`): params `$after` (string, `''`
 * for the first page) and `$limit` (Integer). Columns `id`, `labels`, `properties`.
 */
export const NODE_PAGE_BY_ELEMENT_ID_QUERY =
  'MATCH (n) WHERE elementId(n) > $after WITH n ORDER BY elementId(n) LIMIT $limit ' +
  'RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS properties';

/**
 * One page of nodes on Neo4j 4.4 (keyset on the legacy `id(n)`, an Integer): `$after` Integer (-1
 * for the first page), `$limit`. Columns as the 5.x query, `id` an Integer.
 */
export const NODE_PAGE_BY_ID_QUERY =
  'MATCH (n) WHERE id(n) > $after WITH n ORDER BY id(n) LIMIT $limit ' +
  'RETURN id(n) AS id, labels(n) AS labels, properties(n) AS properties';

/**
 * One page of relationships on Neo4j 5+ (keyset on `elementId(r)`): params as
 * {@link NODE_PAGE_BY_ELEMENT_ID_QUERY}. Columns `id`, `type`, `properties`, `startId`,
 * `startLabels`, `endId`, `endLabels`.
 */
export const RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY =
  'MATCH (s)-[r]->(e) WHERE elementId(r) > $after WITH s, r, e ORDER BY elementId(r) LIMIT $limit ' +
  'RETURN elementId(r) AS id, type(r) AS type, properties(r) AS properties, ' +
  'elementId(s) AS startId, labels(s) AS startLabels, elementId(e) AS endId, labels(e) AS endLabels';

/**
 * One page of relationships on Neo4j 4.4 (keyset on `id(r)`); columns as the 5.x query, with
 * `id`, `startId` and `endId` as Integers (the legacy ids).
 */
export const RELATIONSHIP_PAGE_BY_ID_QUERY =
  'MATCH (s)-[r]->(e) WHERE id(r) > $after WITH s, r, e ORDER BY id(r) LIMIT $limit ' +
  'RETURN id(r) AS id, type(r) AS type, properties(r) AS properties, ' +
  'id(s) AS startId, labels(s) AS startLabels, id(e) AS endId, labels(e) AS endLabels';

/**
 * Constraints with every column (protocols.md 5.2): `name`, `type`, `entityType`,
 * `labelsOrTypes`, `properties`, `ownedIndex` (5.x), `createStatement`.
 */
export const SHOW_CONSTRAINTS_QUERY = 'SHOW CONSTRAINTS YIELD *';

/**
 * Indexes with every column (protocols.md 5.2): `name`, `type` (RANGE, TEXT, POINT, FULLTEXT,
 * VECTOR, LOOKUP; BTREE on 4.4), `entityType`, `labelsOrTypes`, `properties`, `state`,
 * `owningConstraint` (5.x) or `uniqueness` (4.4), `createStatement`.
 */
export const SHOW_INDEXES_QUERY = 'SHOW INDEXES YIELD *';

/** Whether a database holds any node: one row, column `nodes` (0 or 1). */
export const ANY_NODE_QUERY = 'MATCH (n) WITH n LIMIT 1 RETURN count(n) AS nodes';

/** Node count (from the count store): column `nodes`. */
export const COUNT_NODES_QUERY = 'MATCH (n) RETURN count(n) AS nodes';

/** Relationship count (from the count store): column `relationships`. */
export const COUNT_RELATIONSHIPS_QUERY = 'MATCH ()-[r]->() RETURN count(r) AS relationships';

/** Deletes up to `$limit` nodes with their relationships (wiping a target): column `deleted`. */
export const DELETE_NODES_BATCH_QUERY =
  'MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted';

/** Temporary label of every node during an import; removed at the end. */
export const IMPORT_LABEL = '__BackupImport';

/** Temporary property holding a node's export id during an import; removed at the end. */
export const IMPORT_ID_PROPERTY = '__backupImportId';

/** Name of the temporary index on ({@link IMPORT_LABEL}, {@link IMPORT_ID_PROPERTY}). */
export const IMPORT_INDEX_NAME = '__backup_import_id';

const LABEL = quoteIdentifier(IMPORT_LABEL);
const ID = quoteIdentifier(IMPORT_ID_PROPERTY);

/** Creates the import index (4.4+ syntax; a RANGE index on 5.x, BTREE on 4.4). */
export const CREATE_IMPORT_INDEX_QUERY = `CREATE INDEX ${quoteIdentifier(IMPORT_INDEX_NAME)} IF NOT EXISTS FOR (n:${LABEL}) ON (n.${ID})`;

/** Waits until index `$name` is online, at most `$timeoutSeconds` (Integer). */
export const AWAIT_INDEX_QUERY = 'CALL db.awaitIndex($name, $timeoutSeconds)';

/** Drops the import index. */
export const DROP_IMPORT_INDEX_QUERY = `DROP INDEX ${quoteIdentifier(IMPORT_INDEX_NAME)} IF EXISTS`;

/** Nodes still carrying the import label (resume check): column `nodes`. */
export const COUNT_IMPORT_NODES_QUERY = `MATCH (n:${LABEL}) RETURN count(n) AS nodes`;

/** Removes the import label and id from up to `$limit` nodes: column `cleaned`. */
export const REMOVE_IMPORT_IDS_BATCH_QUERY = `MATCH (n:${LABEL}) WITH n LIMIT $limit REMOVE n:${LABEL}, n.${ID} RETURN count(n) AS cleaned`;

/**
 * Creates one node per row of `$rows` (`[{id, properties}]`) with the given labels plus the import
 * label and id; column `created`. Labels cannot be parameters before Neo4j 5.26, so each label set
 * has its own statement text (APOC's `JsonImporter` does the same).
 */
export function createNodesQuery(labels: readonly string[]): string {
  const all = [IMPORT_LABEL, ...labels].map(quoteIdentifier).join(':');
  return `UNWIND $rows AS row CREATE (n:${all} {${ID}: row.id}) SET n += row.properties RETURN count(n) AS created`;
}

/**
 * Creates one relationship of type `type` per row of `$rows` (`[{start, end, properties}]`),
 * matching both ends by import id through the import index; column `created` (rows whose ends are
 * missing create nothing).
 */
export function createRelationshipsQuery(type: string): string {
  return (
    `UNWIND $rows AS row MATCH (s:${LABEL} {${ID}: row.start}) MATCH (e:${LABEL} {${ID}: row.end}) ` +
    `CREATE (s)-[r:${quoteIdentifier(type)}]->(e) SET r += row.properties RETURN count(r) AS created`
  );
}

/** Drops constraint `name` (wiping a target with `force`). */
export function dropConstraintQuery(name: string): string {
  return `DROP CONSTRAINT ${quoteIdentifier(name)} IF EXISTS`;
}

/** Drops index `name` (wiping a target with `force`). */
export function dropIndexQuery(name: string): string {
  return `DROP INDEX ${quoteIdentifier(name)} IF EXISTS`;
}

/** Creates database `name` and waits until it is online (Enterprise; run against `system`). */
export function createDatabaseQuery(name: string): string {
  return `CREATE DATABASE ${quoteIdentifier(name)} IF NOT EXISTS WAIT`;
}
