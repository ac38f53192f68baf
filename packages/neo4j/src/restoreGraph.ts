import type { Readable } from 'node:stream';
import { BackupError, type BackupErrorCode, type Logger, type RestoreResult } from '@backup/core';
import { int } from 'neo4j-driver';
import { applySchema } from './applySchema.js';
import {
  AWAIT_INDEX_QUERY,
  COUNT_NODES_QUERY,
  COUNT_RELATIONSHIPS_QUERY,
  CREATE_IMPORT_INDEX_QUERY,
  DROP_IMPORT_INDEX_QUERY,
  IMPORT_INDEX_NAME,
  REMOVE_IMPORT_IDS_BATCH_QUERY,
} from './cypher.js';
import { driverError } from './driverError.js';
import { ensureDatabase } from './ensureDatabase.js';
import { emptyImportCounts, importGraph } from './importGraph.js';
import { inspectTarget, isEmptyTarget } from './inspectTarget.js';
import { integerValue } from './integerValue.js';
import type { Neo4jDriverLike, Neo4jSessionLike } from './Neo4jDriverLike.js';
import type { Neo4jRestorePhase, Neo4jRestoreProgress } from './Neo4jRestoreProgress.js';
import { readLines } from './readLines.js';
import { readServerInfo } from './readServerInfo.js';
import type { Neo4jSchemaDocument } from './schemaDocument.js';
import { wipeDatabase } from './wipeDatabase.js';

/** Seconds {@link restoreGraph} waits for the temporary import index to come online. */
export const IMPORT_INDEX_TIMEOUT_SECONDS = 300;

/** Lines an interrupted restore committed, as its `RESTORE_FAILED` error reports them. */
export interface Neo4jResumePoint {
  /** Node lines committed. */
  nodes: number;
  /** Relationship lines committed. */
  relationships: number;
}

/** Input of {@link restoreGraph}: one unit, its target and the import settings. */
export interface RestoreGraphOptions {
  /** Unit (source database) name. */
  unit: string;
  /** Target database. */
  database: string;
  /** Driver connected to the target server. */
  driver: Neo4jDriverLike;
  /** `host:port` of the target, for messages and the result. */
  label: string;
  /** The unit's parsed `.schema.json`. */
  schema: Neo4jSchemaDocument;
  /** Opens the unit's `.graph.jsonl` plaintext (checksum-verified while read). */
  openGraph(): Promise<Readable>;
  /** Name of the graph artifact, for messages. */
  graphName: string;
  /** Wipe a non-empty target first instead of failing with `TARGET_NOT_EMPTY`. */
  force: boolean;
  /** Continue an interrupted restore instead of starting on an empty target. */
  resume?: Neo4jResumePoint | undefined;
  /** Rows per `UNWIND` statement. */
  batchSize: number;
  /** Rows per write transaction. */
  transactionSize: number;
  signal: AbortSignal;
  logger: Logger;
  onProgress?: ((progress: Neo4jRestoreProgress) => void) | undefined;
}

const KEPT_CODES = new Set<BackupErrorCode>([
  'TARGET_NOT_EMPTY',
  'CONFIG_INVALID',
  'CHECKSUM_MISMATCH',
  'DECRYPT_FAILED',
  'STORAGE_UNREACHABLE',
  'NOT_FOUND',
  'ABORTED',
  'RESTORE_FAILED',
]);

/**
 * Restores one database from its graph and schema artifacts:
 *
 * 1. `prepare`: read the target's version and edition; create the database if missing
 *    (Enterprise); refuse a non-empty target (`TARGET_NOT_EMPTY`) unless `force` (then `wipe`:
 *    drop constraints and indexes, delete all nodes) or `resume` (then check the target holds
 *    exactly the nodes the interrupted restore committed).
 * 2. Create the temporary index on `(:__BackupImport {__backupImportId})` and wait until online.
 * 3. `nodes`, `relationships`: stream the artifact through `importGraph` (batches of `batchSize`
 *    rows, transactions of `transactionSize` rows, progress after every commit).
 * 4. `cleanup`: remove the import label and id in batches, drop the import index.
 * 5. `schema`: create the backup's constraints, then its indexes (`applySchema`).
 * 6. `check`: the artifact's line counts must match the schema document's counts, and the
 *    database must hold that many nodes and (minus dangling ones) relationships.
 *
 * Building the schema after the data is what makes the import fast: only the import-id index is
 * maintained while nodes are created, and each backed-up index is populated once.
 *
 * @returns Result with metadata `nodes`, `relationships`, `danglingRelationships`, `constraints`,
 *   `indexes`, `skippedSchema`, `createdDatabase`, `wiped`, `transactions`, `statements`, `resumed`.
 * @throws BackupError `TARGET_NOT_EMPTY`; `RESTORE_FAILED` whose message and `details`
 *   (`phase`, `nodesImported`, `relationshipsImported`) say what was committed and how to resume;
 *   `ABORTED`; `CHECKSUM_MISMATCH`/`DECRYPT_FAILED` from the artifact.
 */
export async function restoreGraph(options: RestoreGraphOptions): Promise<RestoreResult> {
  const { unit, database, driver, label, schema, signal } = options;
  const counts = emptyImportCounts();
  const totals = { totalNodes: schema.counts.nodes, totalRelationships: schema.counts.relationships };
  let phase: Neo4jRestorePhase = 'prepare';
  const report = (next: Neo4jRestorePhase) => {
    phase = next;
    options.onProgress?.({
      unit,
      database,
      phase,
      nodes: counts.nodes,
      relationships: counts.relationships,
      ...totals,
    });
  };
  let session: Neo4jSessionLike | undefined;
  let stream: Readable | undefined;
  try {
    report('prepare');
    const server = await readServerInfo(driver);
    const createdDatabase = await ensureDatabase(driver, database, server, label);
    session = driver.session({ database, defaultAccessMode: 'WRITE' });
    const target = session;
    const before = await target.executeRead((tx) => inspectTarget(tx));
    let wiped: Awaited<ReturnType<typeof wipeDatabase>> | null = null;
    if (options.resume) {
      await checkResumable(target, options.resume, `${label}/${database}`);
    } else if (!isEmptyTarget(before)) {
      if (!options.force) {
        throw new BackupError(
          'TARGET_NOT_EMPTY',
          `Database ${database} on ${label} is not empty (${before.hasNodes ? 'it has nodes' : 'no nodes'}, ` +
            `${before.constraints.length} constraints, ${before.indexes.filter((i) => i.type !== 'LOOKUP').length} ` +
            'indexes); restore with force: true to delete its contents first, or into another database',
          { details: { database, target: label } },
        );
      }
      report('wipe');
      wiped = await wipeDatabase(target, before, options.batchSize, signal);
      options.logger.info({ unit, database, ...wiped }, 'target database wiped');
    }

    report('nodes');
    await target.run(CREATE_IMPORT_INDEX_QUERY);
    await target.run(AWAIT_INDEX_QUERY, {
      name: IMPORT_INDEX_NAME,
      timeoutSeconds: int(IMPORT_INDEX_TIMEOUT_SECONDS),
    });
    stream = await options.openGraph();
    await importGraph({
      session: target,
      lines: readLines(stream),
      name: options.graphName,
      batchSize: options.batchSize,
      transactionSize: options.transactionSize,
      skip: options.resume ?? { nodes: 0, relationships: 0 },
      signal,
      counts,
      onCommit: (kind) => report(kind === 'node' ? 'nodes' : 'relationships'),
    });

    report('cleanup');
    const limit = int(options.batchSize);
    for (;;) {
      if (signal.aborted) throw new BackupError('ABORTED', 'Restore aborted');
      const cleaned = await target.executeWrite(async (tx) =>
        integerValue((await tx.run(REMOVE_IMPORT_IDS_BATCH_QUERY, { limit })).records[0]?.get('cleaned')),
      );
      if (!(cleaned > 0)) break;
    }
    await target.run(DROP_IMPORT_INDEX_QUERY);

    report('schema');
    const applied = await applySchema(target, schema, await target.executeRead((tx) => inspectTarget(tx)));

    report('check');
    if (counts.nodes !== schema.counts.nodes || counts.relationships !== schema.counts.relationships) {
      throw new BackupError(
        'RESTORE_FAILED',
        `${options.graphName} has ${counts.nodes} nodes and ${counts.relationships} relationships, but the ` +
          `schema document of the same backup counts ${schema.counts.nodes} and ${schema.counts.relationships}`,
      );
    }
    const [nodesNow, relationshipsNow] = await target.executeRead(async (tx) => [
      integerValue((await tx.run(COUNT_NODES_QUERY)).records[0]?.get('nodes')),
      integerValue((await tx.run(COUNT_RELATIONSHIPS_QUERY)).records[0]?.get('relationships')),
    ]);
    const expectedRelationships = counts.relationships - counts.danglingRelationships;
    const relationshipsOk = options.resume
      ? relationshipsNow <= expectedRelationships
      : relationshipsNow === expectedRelationships;
    if (nodesNow !== counts.nodes || !relationshipsOk) {
      throw new BackupError(
        'RESTORE_FAILED',
        `Database ${database} holds ${nodesNow} nodes and ${relationshipsNow} relationships after the import ` +
          `of ${counts.nodes} and ${expectedRelationships}; was it written to during the restore?`,
      );
    }
    if (counts.danglingRelationships > 0) {
      options.logger.warn(
        { unit, database, danglingRelationships: counts.danglingRelationships },
        'relationships whose start or end node is not in the backup were skipped (the source changed during the backup)',
      );
    }
    report('done');
    return {
      unit,
      target: `${label}/${database}`,
      metadata: {
        database,
        nodes: counts.nodes,
        relationships: relationshipsNow,
        danglingRelationships: counts.danglingRelationships,
        constraints: applied.constraints,
        indexes: applied.indexes,
        skippedSchema: applied.skipped,
        createdDatabase,
        wiped,
        transactions: counts.transactions,
        statements: counts.statements,
        resumed: options.resume !== undefined,
      },
    };
  } catch (error) {
    stream?.destroy();
    throw failure(error, options, phase, counts, totals);
  } finally {
    await session?.close().catch(() => {});
  }
}

async function checkResumable(
  session: Neo4jSessionLike,
  resume: Neo4jResumePoint,
  where: string,
): Promise<void> {
  const [nodes, relationships] = await session.executeRead(async (tx) => [
    integerValue((await tx.run(COUNT_NODES_QUERY)).records[0]?.get('nodes')),
    integerValue((await tx.run(COUNT_RELATIONSHIPS_QUERY)).records[0]?.get('relationships')),
  ]);
  if (nodes !== resume.nodes || relationships > resume.relationships) {
    throw new BackupError(
      'RESTORE_FAILED',
      `Cannot resume into ${where}: it holds ${nodes} nodes and ${relationships} relationships, but the ` +
        `interrupted restore committed ${resume.nodes} node and ${resume.relationships} relationship lines; ` +
        'restore with force: true to start over',
    );
  }
}

function failure(
  error: unknown,
  options: RestoreGraphOptions,
  phase: Neo4jRestorePhase,
  counts: { nodes: number; relationships: number },
  totals: { totalNodes: number; totalRelationships: number },
): BackupError {
  const where = `${options.label}/${options.database}`;
  const aborted =
    options.signal.aborted ||
    (error instanceof BackupError && error.code === 'ABORTED') ||
    (error instanceof Error && error.name === 'AbortError');
  const inner = aborted
    ? new BackupError('ABORTED', 'the restore was aborted', { cause: error })
    : error instanceof BackupError && KEPT_CODES.has(error.code)
      ? error
      : driverError(error, 'RESTORE_FAILED', 'a statement failed');
  const details = {
    ...inner.details,
    unit: options.unit,
    database: options.database,
    phase,
    nodesImported: counts.nodes,
    relationshipsImported: counts.relationships,
  };
  if (phase === 'prepare' && error instanceof BackupError && KEPT_CODES.has(error.code)) {
    return new BackupError(error.code, error.message, { cause: error.cause, details });
  }
  const started = phase !== 'prepare' && phase !== 'wipe';
  const hint = started
    ? ` The target holds a partial import: restore again with force: true to start over, or with ` +
      `resume: { nodes: ${counts.nodes}, relationships: ${counts.relationships} } to continue.`
    : '';
  const code = inner.code === 'ABORTED' || KEPT_CODES.has(inner.code) ? inner.code : 'RESTORE_FAILED';
  return new BackupError(
    code,
    `Restore of ${options.unit} into ${where} failed during ${phase} after ${counts.nodes} of ` +
      `${totals.totalNodes} nodes and ${counts.relationships} of ${totals.totalRelationships} relationships: ` +
      `${inner.message}.${hint}`,
    { cause: inner.cause ?? error, details },
  );
}
