import { BackupError } from '@backup/core';
import { codecError } from './codecError.js';
import { createNodesQuery, createRelationshipsQuery } from './cypher.js';
import type { GraphLine, NodeLine, RelationshipLine } from './graphLine.js';
import { integerValue } from './integerValue.js';
import type { Neo4jQueryRunner, Neo4jSessionLike } from './Neo4jDriverLike.js';
import { parseGraphLine } from './parseGraphLine.js';
import type { TextLine } from './readLines.js';

/** Progress of an import; updated after every committed transaction. */
export interface ImportCounts {
  /** Node lines committed (including lines skipped by `skip`). */
  nodes: number;
  /** Relationship lines committed (including lines skipped by `skip`). */
  relationships: number;
  /** Relationship lines whose start or end node was not found (nothing was created for them). */
  danglingRelationships: number;
  /** Write transactions committed. */
  transactions: number;
  /** `UNWIND` statements run in committed transactions. */
  statements: number;
}

/** Options of {@link importGraph}. */
export interface ImportGraphOptions {
  /** Session on the target database. */
  session: Neo4jSessionLike;
  /** Lines of the `.graph.jsonl` artifact. */
  lines: AsyncIterable<TextLine>;
  /** Artifact name, for messages. */
  name: string;
  /** Rows per `UNWIND` statement. */
  batchSize: number;
  /** Rows per write transaction (statements of at most `batchSize` rows each). */
  transactionSize: number;
  /** Lines already imported by an interrupted restore: the first `nodes` node lines and `relationships` relationship lines are read but not written. */
  skip: { nodes: number; relationships: number };
  signal: AbortSignal;
  /** Updated in place: read it when the import throws to know what was committed. */
  counts: ImportCounts;
  /** Called after each committed transaction. */
  onCommit?: ((kind: 'node' | 'relationship', counts: ImportCounts) => void) | undefined;
}

/** Zeroed {@link ImportCounts}. */
export function emptyImportCounts(): ImportCounts {
  return { nodes: 0, relationships: 0, danglingRelationships: 0, transactions: 0, statements: 0 };
}

/**
 * Writes the lines of a graph artifact into the target: nodes first, in transactions of
 * `transactionSize` rows, each split into `UNWIND $rows AS row CREATE ...` statements of at most
 * `batchSize` rows per label set ({@link createNodesQuery}: the temporary import label and id go
 * on every node), then relationships the same way per type, matched by import id
 * ({@link createRelationshipsQuery}). A transaction is retried by the driver on transient errors
 * (its work is repeatable); `counts` only grows after a commit, so after a failure it tells
 * exactly which lines are in the database.
 *
 * @throws BackupError `VERIFY_FAILED` for a malformed line or a node line after relationship
 *   lines, `ABORTED` between transactions, `RESTORE_FAILED` when a statement created fewer nodes
 *   than rows; driver errors propagate unchanged.
 */
export async function importGraph(options: ImportGraphOptions): Promise<ImportCounts> {
  const { counts, skip } = options;
  let pending: GraphLine[] = [];
  let pendingKind: 'node' | 'relationship' = 'node';
  let nodeLines = 0;
  let relationshipLines = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    if (options.signal.aborted) throw new BackupError('ABORTED', 'Restore aborted');
    const batch = pending;
    const kind = pendingKind;
    const result = await options.session.executeWrite((tx) =>
      kind === 'node'
        ? writeNodes(tx, batch as NodeLine[], options.batchSize)
        : writeRelationships(tx, batch as RelationshipLine[], options.batchSize),
    );
    pending = [];
    if (kind === 'node') counts.nodes += batch.length;
    else {
      counts.relationships += batch.length;
      counts.danglingRelationships += batch.length - result.created;
    }
    counts.transactions++;
    counts.statements += result.statements;
    options.onCommit?.(kind, counts);
  };

  for await (const { text, number } of options.lines) {
    const where = `${options.name} line ${number}`;
    if (text === '') throw codecError(`${where}: empty line`);
    const line = parseGraphLine(text, where);
    if (line.type === 'node') {
      if (relationshipLines > 0) throw codecError(`${where}: node line after relationship lines`);
      if (++nodeLines <= skip.nodes) {
        counts.nodes++;
        continue;
      }
    } else {
      if (relationshipLines === 0) await flush();
      pendingKind = 'relationship';
      if (++relationshipLines <= skip.relationships) {
        counts.relationships++;
        continue;
      }
    }
    pending.push(line);
    if (pending.length >= options.transactionSize) await flush();
  }
  await flush();
  return counts;
}

interface WriteResult {
  created: number;
  statements: number;
}

async function writeNodes(tx: Neo4jQueryRunner, lines: NodeLine[], batchSize: number): Promise<WriteResult> {
  const groups = groupBy(lines, (l) => JSON.stringify(l.labels));
  let statements = 0;
  for (const group of groups.values()) {
    const query = createNodesQuery(group[0]!.labels);
    for (let i = 0; i < group.length; i += batchSize) {
      const rows = group.slice(i, i + batchSize).map((l) => ({ id: l.id, properties: l.properties }));
      const created = integerValue((await tx.run(query, { rows })).records[0]?.get('created'));
      statements++;
      if (created !== rows.length) {
        throw new BackupError(
          'RESTORE_FAILED',
          `A node statement created ${created} of ${rows.length} nodes`,
        );
      }
    }
  }
  return { created: lines.length, statements };
}

async function writeRelationships(
  tx: Neo4jQueryRunner,
  lines: RelationshipLine[],
  batchSize: number,
): Promise<WriteResult> {
  const groups = groupBy(lines, (l) => l.label);
  let created = 0;
  let statements = 0;
  for (const [type, group] of groups) {
    const query = createRelationshipsQuery(type);
    for (let i = 0; i < group.length; i += batchSize) {
      const rows = group
        .slice(i, i + batchSize)
        .map((l) => ({ start: l.start.id, end: l.end.id, properties: l.properties }));
      created += integerValue((await tx.run(query, { rows })).records[0]?.get('created'));
      statements++;
    }
  }
  return { created, statements };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
