import {
  COUNT_NODES_QUERY,
  COUNT_RELATIONSHIPS_QUERY,
  type Neo4jQueryRunner,
  SHOW_CONSTRAINTS_QUERY,
  SHOW_INDEXES_QUERY,
} from '@backup/neo4j';
import { countValue } from './countValue.js';

/** What an existing target database holds, as far as the restore's emptiness rule goes. */
export interface GraphDatabaseContents {
  nodes: number;
  relationships: number;
  /** Constraint names. */
  constraints: string[];
  /** Indexes other than the token lookup indexes every database has, and other than constraint-owned ones. */
  indexes: string[];
  /**
   * The engine's rule (`isEmptyTarget` of `@backup/neo4j`): no node, no constraint, no index but the
   * token lookup indexes.
   */
  empty: boolean;
}

/**
 * Reads what a database holds, changing nothing: node and relationship counts,
 * `SHOW CONSTRAINTS YIELD *`, `SHOW INDEXES YIELD *`. Driver errors propagate.
 *
 * @param runner A read transaction on the database.
 */
export async function inspectGraphDatabase(runner: Neo4jQueryRunner): Promise<GraphDatabaseContents> {
  const nodes = countValue((await runner.run(COUNT_NODES_QUERY)).records[0]?.get('nodes'));
  const relationships = countValue(
    (await runner.run(COUNT_RELATIONSHIPS_QUERY)).records[0]?.get('relationships'),
  );
  const constraints = (await runner.run(SHOW_CONSTRAINTS_QUERY)).records.map((r) => String(r.get('name')));
  const all = (await runner.run(SHOW_INDEXES_QUERY)).records.map((r) => ({
    name: String(r.get('name')),
    type: String(r.get('type')),
    owned:
      (r.has('owningConstraint') && r.get('owningConstraint') !== null) ||
      (r.has('uniqueness') && r.get('uniqueness') === 'UNIQUE'),
  }));
  const nonLookup = all.filter((i) => i.type !== 'LOOKUP');
  return {
    nodes,
    relationships,
    constraints,
    indexes: nonLookup.filter((i) => !i.owned).map((i) => i.name),
    empty: nodes === 0 && constraints.length === 0 && nonLookup.length === 0,
  };
}
