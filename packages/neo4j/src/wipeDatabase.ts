import { int } from 'neo4j-driver';
import { DELETE_NODES_BATCH_QUERY, dropConstraintQuery, dropIndexQuery } from './cypher.js';
import type { TargetState } from './inspectTarget.js';
import { integerValue } from './integerValue.js';
import type { Neo4jSessionLike } from './Neo4jDriverLike.js';

/** What {@link wipeDatabase} removed. */
export interface WipeResult {
  constraints: number;
  indexes: number;
  nodes: number;
}

/**
 * Empties a restore target (restore with `force`): drops every constraint, then every index
 * that is neither a token lookup index nor owned by a constraint, then deletes all nodes with
 * their relationships, `batchSize` nodes per write transaction. Driver errors propagate.
 *
 * @param session A session on the target database.
 */
export async function wipeDatabase(
  session: Neo4jSessionLike,
  state: TargetState,
  batchSize: number,
  signal: AbortSignal,
): Promise<WipeResult> {
  for (const name of state.constraints) await session.run(dropConstraintQuery(name));
  const indexes = state.indexes.filter((i) => i.type !== 'LOOKUP' && !i.owned);
  for (const index of indexes) await session.run(dropIndexQuery(index.name));
  let nodes = 0;
  const limit = int(batchSize);
  for (;;) {
    signal.throwIfAborted();
    const deleted = await session.executeWrite(async (tx) =>
      integerValue((await tx.run(DELETE_NODES_BATCH_QUERY, { limit })).records[0]?.get('deleted')),
    );
    nodes += deleted;
    if (!(deleted > 0)) break;
  }
  return { constraints: state.constraints.length, indexes: indexes.length, nodes };
}
