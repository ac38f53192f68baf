import { ANY_NODE_QUERY, SHOW_CONSTRAINTS_QUERY, SHOW_INDEXES_QUERY } from './cypher.js';
import { integerValue } from './integerValue.js';
import type { Neo4jQueryRunner } from './Neo4jDriverLike.js';

/** An index of a restore target, as far as the restore cares. */
export interface TargetIndex {
  name: string;
  /** `RANGE`, `LOOKUP`, `FULLTEXT`... */
  type: string;
  /** `NODE` or `RELATIONSHIP`. */
  entityType: string;
  /** Owned by a constraint (dropped with it). */
  owned: boolean;
}

/** What a restore target holds. */
export interface TargetState {
  /** At least one node exists. */
  hasNodes: boolean;
  /** Constraint names. */
  constraints: string[];
  /** Every index, lookup indexes and owned indexes included. */
  indexes: TargetIndex[];
}

/**
 * Reads whether a database holds nodes ({@link ANY_NODE_QUERY}) and which constraints and indexes
 * it has (`SHOW CONSTRAINTS/INDEXES YIELD *`). Driver errors propagate.
 *
 * @param runner A read transaction (or session) on the target database.
 */
export async function inspectTarget(runner: Neo4jQueryRunner): Promise<TargetState> {
  const any = (await runner.run(ANY_NODE_QUERY)).records[0]?.get('nodes');
  const constraints = (await runner.run(SHOW_CONSTRAINTS_QUERY)).records.map((r) => String(r.get('name')));
  const indexes = (await runner.run(SHOW_INDEXES_QUERY)).records.map(
    (r): TargetIndex => ({
      name: String(r.get('name')),
      type: String(r.get('type')),
      entityType: String(r.get('entityType')),
      owned:
        (r.has('owningConstraint') && r.get('owningConstraint') !== null) ||
        (r.has('uniqueness') && r.get('uniqueness') === 'UNIQUE'),
    }),
  );
  return { hasNodes: integerValue(any) > 0, constraints, indexes };
}

/**
 * True when a target can receive a restore without `force`: no node, no constraint, and no index
 * but the token lookup indexes every new Neo4j database has (`LOOKUP`, created by the server).
 */
export function isEmptyTarget(state: TargetState): boolean {
  return !state.hasNodes && state.constraints.length === 0 && state.indexes.every((i) => i.type === 'LOOKUP');
}
