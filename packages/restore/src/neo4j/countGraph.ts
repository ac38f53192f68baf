import { COUNT_NODES_QUERY, COUNT_RELATIONSHIPS_QUERY, type Neo4jQueryRunner } from '@backup/neo4j';
import { countValue } from './countValue.js';
import { COUNT_NODES_BY_LABEL_QUERY, COUNT_RELATIONSHIPS_BY_TYPE_QUERY } from './cypher.js';
import type { GraphCounts } from './GraphCounts.js';

/**
 * Counts a database's nodes and relationships, in total and per label and type (full scans; run in
 * one read transaction so the four counts agree). Driver errors propagate.
 *
 * @param runner A read transaction on the database.
 */
export async function countGraph(runner: Neo4jQueryRunner): Promise<GraphCounts> {
  const nodes = countValue((await runner.run(COUNT_NODES_QUERY)).records[0]?.get('nodes'));
  const relationships = countValue(
    (await runner.run(COUNT_RELATIONSHIPS_QUERY)).records[0]?.get('relationships'),
  );
  const labels: Record<string, number> = {};
  for (const r of (await runner.run(COUNT_NODES_BY_LABEL_QUERY)).records) {
    labels[String(r.get('label'))] = countValue(r.get('nodes'));
  }
  const relationshipTypes: Record<string, number> = {};
  for (const r of (await runner.run(COUNT_RELATIONSHIPS_BY_TYPE_QUERY)).records) {
    relationshipTypes[String(r.get('type'))] = countValue(r.get('relationships'));
  }
  return { nodes, relationships, labels, relationshipTypes };
}
