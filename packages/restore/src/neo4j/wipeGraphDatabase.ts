import { dropConstraintQuery, dropIndexQuery, type Neo4jSessionLike } from '@backup/neo4j';
import { countValue } from './countValue.js';
import { WIPE_NODES_BATCH_QUERY } from './cypher.js';
import type { GraphDatabaseContents } from './inspectGraphDatabase.js';

/**
 * Empties a database a drill filled (the Community drill database, which cannot be dropped): drops
 * its constraints and indexes, then deletes every node with its relationships, 10,000 per write
 * transaction. Driver errors propagate.
 *
 * @param session A session on the database.
 */
export async function wipeGraphDatabase(
  session: Neo4jSessionLike,
  contents: GraphDatabaseContents,
  signal: AbortSignal,
): Promise<void> {
  for (const name of contents.constraints) await session.run(dropConstraintQuery(name));
  for (const name of contents.indexes) await session.run(dropIndexQuery(name));
  for (;;) {
    signal.throwIfAborted();
    const deleted = await session.executeWrite(async (tx) =>
      countValue((await tx.run(WIPE_NODES_BATCH_QUERY)).records[0]?.get('deleted')),
    );
    if (deleted <= 0) break;
  }
}
