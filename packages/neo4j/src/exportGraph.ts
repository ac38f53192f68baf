import { BackupError } from '@backup/core';
import { int } from 'neo4j-driver';
import {
  NODE_PAGE_BY_ELEMENT_ID_QUERY,
  NODE_PAGE_BY_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ID_QUERY,
} from './cypher.js';
import { driverError } from './driverError.js';
import { formatGraphLine } from './formatGraphLine.js';
import type { GraphValue } from './graphValue.js';
import type { Neo4jDriverLike, Neo4jSessionLike } from './Neo4jDriverLike.js';
import type { GraphIdKind } from './readServerInfo.js';

/** What an export counted: exactly the lines of its `.graph.jsonl` artifact. */
export interface GraphCounts {
  /** Node lines. */
  nodes: number;
  /** Relationship lines. */
  relationships: number;
  /** Nodes per label (a node with two labels counts for both). */
  labels: Record<string, number>;
  /** Relationships per type. */
  relationshipTypes: Record<string, number>;
}

/** Options of {@link exportGraph}. */
export interface ExportGraphOptions {
  driver: Neo4jDriverLike;
  database: string;
  /** `elementId` (Neo4j 5+) or `id` (4.4): the id written and paged on. */
  idKind: GraphIdKind;
  /** Records per page (per read transaction), e.g. 10,000. */
  pageSize: number;
  /** Stops the export between pages with `ABORTED`. */
  signal: AbortSignal;
  /** Filled while the lines are produced; complete when the generator has finished. */
  counts: GraphCounts;
}

/** Zeroed {@link GraphCounts}. */
export function emptyGraphCounts(): GraphCounts {
  return { nodes: 0, relationships: 0, labels: {}, relationshipTypes: {} };
}

/**
 * Streams a database as `.graph.jsonl` text (docs/format.md, "Neo4j graph"): every node line, then
 * every relationship line. Pages with keyset pagination (`WHERE elementId(n) > $after ORDER BY
 * elementId(n) LIMIT $limit`, `id()` on 4.4; `cypher.ts`), one read transaction per page, and
 * yields one UTF-8 chunk per page: memory holds one page, never the graph. The driver retries a
 * page's transaction on transient errors.
 *
 * Consistency: Neo4j transactions are read-committed (Operations manual, "Database internals and
 * transactional behavior"), so neither one transaction nor one per page gives a snapshot. Writes
 * during the export may be missed or seen; a relationship created between the node and the
 * relationship pass may reference a node the file does not contain (the restore reports such
 * relationships as `danglingRelationships`). Stop writers for a point-in-time copy.
 *
 * Each page query scans the database (no index serves `elementId` ranges), so an export costs
 * about N x N / pageSize record reads: raise `pageSize` for large graphs.
 *
 * @throws BackupError `SOURCE_FAILED` (query failed, value not encodable), `ABORTED`.
 */
export async function* exportGraph(options: ExportGraphOptions): AsyncGenerator<Buffer> {
  const { driver, database, idKind, signal, counts } = options;
  const session = driver.session({ database, defaultAccessMode: 'READ' });
  const byElementId = idKind === 'elementId';
  try {
    yield* pages(
      session,
      byElementId ? NODE_PAGE_BY_ELEMENT_ID_QUERY : NODE_PAGE_BY_ID_QUERY,
      options,
      (r) => {
        const labels = [...(r.get('labels') as string[])].sort();
        counts.nodes++;
        for (const label of labels) counts.labels[label] = (counts.labels[label] ?? 0) + 1;
        return formatGraphLine({
          type: 'node',
          id: String(r.get('id')),
          labels,
          properties: r.get('properties') as Record<string, GraphValue>,
        });
      },
    );
    yield* pages(
      session,
      byElementId ? RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY : RELATIONSHIP_PAGE_BY_ID_QUERY,
      options,
      (r) => {
        const type = String(r.get('type'));
        counts.relationships++;
        counts.relationshipTypes[type] = (counts.relationshipTypes[type] ?? 0) + 1;
        return formatGraphLine({
          type: 'relationship',
          id: String(r.get('id')),
          label: type,
          properties: r.get('properties') as Record<string, GraphValue>,
          start: { id: String(r.get('startId')), labels: [...(r.get('startLabels') as string[])].sort() },
          end: { id: String(r.get('endId')), labels: [...(r.get('endLabels') as string[])].sort() },
        });
      },
    );
  } catch (error) {
    if (signal.aborted)
      throw new BackupError('ABORTED', `Export of database ${database} was aborted`, { cause: error });
    throw driverError(error, 'SOURCE_FAILED', `Exporting database ${database} failed`);
  } finally {
    await session.close().catch(() => {});
  }
}

type PageRecord = { get(key: string): unknown };

async function* pages(
  session: Neo4jSessionLike,
  query: string,
  options: ExportGraphOptions,
  line: (record: PageRecord) => string,
): AsyncGenerator<Buffer> {
  let after: unknown = options.idKind === 'elementId' ? '' : int(-1);
  const limit = int(options.pageSize);
  for (;;) {
    if (options.signal.aborted)
      throw new BackupError('ABORTED', `Export of database ${options.database} was aborted`);
    const records = await session.executeRead(async (tx) => (await tx.run(query, { after, limit })).records);
    if (records.length === 0) return;
    let chunk = '';
    for (const record of records) chunk += `${line(record)}\n`;
    after = records.at(-1)!.get('id');
    yield Buffer.from(chunk, 'utf8');
    if (records.length < options.pageSize) return;
  }
}
