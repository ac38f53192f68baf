import { BackupError } from '@backup/core';
import { IMPORT_INDEX_NAME, SHOW_CONSTRAINTS_QUERY, SHOW_INDEXES_QUERY } from './cypher.js';
import { driverError } from './driverError.js';
import type { Neo4jQueryRunner } from './Neo4jDriverLike.js';
import type { SchemaConstraint, SchemaIndex } from './schemaDocument.js';

/** What `SHOW CONSTRAINTS` / `SHOW INDEXES` report, split as a restore replays it. */
export interface DatabaseSchema {
  /** Every constraint, sorted by name. */
  constraints: SchemaConstraint[];
  /** Indexes not owned by a constraint (full-text, vector, lookup included), sorted by name. */
  indexes: SchemaIndex[];
  /** Names of the indexes constraints own (left out of `indexes`). */
  ownedIndexes: string[];
}

type Row = { has(key: string): boolean; get(key: string): unknown };

/**
 * Reads a database's schema with {@link SHOW_CONSTRAINTS_QUERY} and {@link SHOW_INDEXES_QUERY}
 * (protocols.md 5.2). An index is owned by a constraint when `owningConstraint` is set (5.x) or
 * `uniqueness` is `UNIQUE` (4.4); owned indexes are recreated by their constraint, so they are not
 * listed. The temporary import index of an interrupted restore (`__backup_import_id`) is ignored.
 *
 * @param runner A transaction or session on the database.
 * @throws BackupError `SOURCE_FAILED` when a query fails or a row has no `createStatement`.
 */
export async function readSchema(runner: Neo4jQueryRunner, database: string): Promise<DatabaseSchema> {
  let constraintRows: Row[];
  let indexRows: Row[];
  try {
    constraintRows = (await runner.run(SHOW_CONSTRAINTS_QUERY)).records;
    indexRows = (await runner.run(SHOW_INDEXES_QUERY)).records;
  } catch (error) {
    throw driverError(error, 'SOURCE_FAILED', `Reading the schema of database ${database} failed`);
  }
  const constraints = constraintRows.map(
    (r): SchemaConstraint => ({
      name: str(r, 'name'),
      type: str(r, 'type'),
      entityType: str(r, 'entityType'),
      labelsOrTypes: names(r, 'labelsOrTypes'),
      properties: names(r, 'properties'),
      ownedIndex: r.has('ownedIndex') && r.get('ownedIndex') !== null ? str(r, 'ownedIndex') : null,
      createStatement: statement(r, database),
    }),
  );
  const indexes: SchemaIndex[] = [];
  const ownedIndexes: string[] = [];
  for (const r of indexRows) {
    const name = str(r, 'name');
    if (name === IMPORT_INDEX_NAME) continue;
    const owned =
      (r.has('owningConstraint') && r.get('owningConstraint') !== null) ||
      (r.has('uniqueness') && r.get('uniqueness') === 'UNIQUE');
    if (owned) {
      ownedIndexes.push(name);
      continue;
    }
    indexes.push({
      name,
      type: str(r, 'type'),
      entityType: str(r, 'entityType'),
      labelsOrTypes: names(r, 'labelsOrTypes'),
      properties: names(r, 'properties'),
      createStatement: statement(r, database),
    });
  }
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return {
    constraints: constraints.sort(byName),
    indexes: indexes.sort(byName),
    ownedIndexes: ownedIndexes.sort(),
  };
}

function str(r: Row, key: string): string {
  return String(r.get(key));
}

function names(r: Row, key: string): string[] | null {
  const value = r.has(key) ? r.get(key) : null;
  return Array.isArray(value) ? value.map(String) : null;
}

function statement(r: Row, database: string): string {
  const text = r.has('createStatement') ? r.get('createStatement') : null;
  if (typeof text !== 'string' || !text.startsWith('CREATE ')) {
    throw new BackupError(
      'SOURCE_FAILED',
      `Schema item ${str(r, 'name')} of database ${database} has no createStatement (SHOW ... YIELD * needs Neo4j 4.4+)`,
    );
  }
  return text;
}
