import { type BackupError, isBackupError } from '@backup/core';
import { int } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import {
  AWAIT_INDEX_QUERY,
  CREATE_IMPORT_INDEX_QUERY,
  createNeo4jEngine,
  DROP_IMPORT_INDEX_QUERY,
  IMPORT_LABEL,
  type Neo4jRestoreOptions,
  type Neo4jRestoreProgress,
  REMOVE_IMPORT_IDS_BATCH_QUERY,
} from '../src/index.js';
import { Neo4jDouble, serverError } from '../src/testing/Neo4jDouble.js';
import { digestDouble, seedDouble } from './fixtures/doubleFixtures.js';
import { backupToMemory, context } from './fixtures/engineRun.js';
import { type GraphSpec, richGraph } from './fixtures/richGraph.js';

const URI = 'neo4j://graph.double:7687';
const isNodeStatement = (q: string) => q.startsWith('UNWIND $rows AS row CREATE (n:');
const isRelationshipStatement = (q: string) => q.startsWith('UNWIND $rows AS row MATCH (s:');

/** A source server seeded with `spec`, its backup in memory, and an empty target server. */
async function setup(spec: GraphSpec = richGraph(), targetOptions = {}) {
  const source = new Neo4jDouble();
  await seedDouble(source, 'neo4j', spec);
  const engine = createNeo4jEngine({ uri: URI, driver: source.driver(), pageSize: 50 });
  const { sink, unit } = await backupToMemory(engine);
  const target = new Neo4jDouble(targetOptions);
  const restore = (options: Neo4jRestoreOptions, ctx = context()) =>
    engine.restore(sink.restoreInput(unit, { targetDriver: target.driver(), ...options }), ctx);
  return { source, target, engine, sink, unit, restore };
}

async function failure(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    if (isBackupError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('target safety', () => {
  it('refuses a non-empty target without force and leaves it untouched', async () => {
    const { target, restore } = await setup(richGraph({ people: 5 }));
    await seedDouble(target, 'neo4j', {
      nodes: [{ key: 'x', labels: ['Keep'], properties: {} }],
      relationships: [],
      schema: [],
    });
    const error = await failure(restore({}));
    expect(error.code).toBe('TARGET_NOT_EMPTY');
    expect(error.message).toMatch(
      /Database neo4j on graph\.double:7687 is not empty \(it has nodes, 0 constraints, 0 indexes\); restore with force: true/,
    );
    expect(target.graph('neo4j').nodes.size).toBe(1);
    expect(target.statements().some(isNodeStatement)).toBe(false);
  });

  it('refuses a target that only has a constraint, accepts one that only has lookup indexes', async () => {
    const { target, source, restore } = await setup(richGraph({ people: 5 }));
    const session = target.driver().session({ database: 'neo4j' });
    await session.run('CREATE CONSTRAINT `other` FOR (n:`Other`) REQUIRE (n.`id`) IS UNIQUE');
    expect((await failure(restore({}))).code).toBe('TARGET_NOT_EMPTY');
    await session.run('DROP CONSTRAINT `other`');
    await restore({});
    expect(digestDouble(target, 'neo4j')).toEqual(digestDouble(source, 'neo4j'));
  });

  it('with force, drops constraints and indexes, deletes all data, then restores', async () => {
    const { target, source, restore } = await setup(richGraph({ people: 8 }));
    await seedDouble(target, 'neo4j', {
      nodes: Array.from({ length: 7 }, (_, i) => ({
        key: `x${i}`,
        labels: ['Stale'],
        properties: { i: int(i) },
      })),
      relationships: [{ start: 'x0', type: 'OLD', end: 'x1', properties: {} }],
      schema: [
        'CREATE CONSTRAINT `stale_i` FOR (n:`Stale`) REQUIRE (n.`i`) IS UNIQUE',
        'CREATE RANGE INDEX `stale_index` FOR (n:`Stale`) ON (n.`j`)',
      ],
    });
    const result = await restore({ force: true, batchSize: 3 });
    expect(result.metadata['wiped']).toEqual({ constraints: 1, indexes: 1, nodes: 7 });
    expect(digestDouble(target, 'neo4j')).toEqual(digestDouble(source, 'neo4j'));
    expect(target.statements()).toContain('DROP CONSTRAINT `stale_i` IF EXISTS');
    expect(target.statements()).toContain('DROP INDEX `stale_index` IF EXISTS');
    expect(target.statements().filter((q) => q.startsWith('DROP INDEX `index_'))).toEqual([]);
  });

  it('Community Edition cannot create a missing database; Enterprise creates it', async () => {
    const community = await setup(richGraph({ people: 3, enterprise: false }), { edition: 'community' });
    const error = await failure(community.restore({ database: 'copy' }));
    expect(error.code).toBe('RESTORE_FAILED');
    expect(error.message).toMatch(
      /Database copy does not exist .* community edition cannot create databases/,
    );
    const enterprise = await setup(richGraph({ people: 3 }));
    const result = await enterprise.restore({ database: 'copy' });
    expect(result.target).toBe('graph.double:7687/copy');
    expect(result.metadata['createdDatabase']).toBe(true);
    expect(digestDouble(enterprise.target, 'copy')).toEqual(digestDouble(enterprise.source, 'neo4j'));
    expect(enterprise.target.statements('system')).toContain('CREATE DATABASE `copy` IF NOT EXISTS WAIT');
  });
});

describe('import', () => {
  it('writes batches of batchSize rows in transactions of transactionSize rows, nodes before relationships', async () => {
    const { target, source, restore } = await setup(richGraph({ people: 23 }));
    await restore({ batchSize: 4, transactionSize: 10 });
    const writes = target.transactions.filter((t) =>
      t.statements.some((q) => isNodeStatement(q) || isRelationshipStatement(q)),
    );
    const nodeTxs = writes.filter((t) => t.statements.every(isNodeStatement));
    const relTxs = writes.filter((t) => t.statements.every(isRelationshipStatement));
    expect(nodeTxs.length + relTxs.length).toBe(writes.length);
    const nodes = source.graph('neo4j').nodes.size;
    const relationships = source.graph('neo4j').relationships.size;
    expect(nodeTxs.map((t) => t.rows).reduce((a, b) => a + b)).toBe(nodes);
    expect(relTxs.map((t) => t.rows).reduce((a, b) => a + b)).toBe(relationships);
    expect(nodeTxs).toHaveLength(Math.ceil(nodes / 10));
    expect(relTxs).toHaveLength(Math.ceil(relationships / 10));
    for (const tx of writes) {
      expect(tx.access).toBe('WRITE');
      expect(tx.outcome).toBe('committed');
      expect(tx.rows).toBeLessThanOrEqual(10);
    }
    const statements = target.log.filter((s) => isNodeStatement(s.query) || isRelationshipStatement(s.query));
    for (const s of statements) expect((s.parameters['rows'] as unknown[]).length).toBeLessThanOrEqual(4);
    const lastNodeTx = Math.max(...nodeTxs.map((t) => t.id));
    expect(Math.min(...relTxs.map((t) => t.id))).toBeGreaterThan(lastNodeTx);
    expect(digestDouble(target, 'neo4j')).toEqual(digestDouble(source, 'neo4j'));
  });

  it('creates the import index first, the backup schema last (constraints before indexes), lookup indexes skipped', async () => {
    const { target, restore } = await setup();
    const result = await restore({});
    const log = target.statements('neo4j');
    const at = (q: string) => log.indexOf(q);
    const firstNode = log.findIndex(isNodeStatement);
    const lastRel = log.findLastIndex(isRelationshipStatement);
    const schema = log.filter((q) => /^CREATE (CONSTRAINT|[A-Z]+ INDEX) `(?!__backup)/.test(q));
    expect(at(CREATE_IMPORT_INDEX_QUERY)).toBeLessThan(at(AWAIT_INDEX_QUERY));
    expect(at(AWAIT_INDEX_QUERY)).toBeLessThan(firstNode);
    expect(lastRel).toBeLessThan(at(REMOVE_IMPORT_IDS_BATCH_QUERY));
    expect(log.lastIndexOf(REMOVE_IMPORT_IDS_BATCH_QUERY)).toBeLessThan(at(DROP_IMPORT_INDEX_QUERY));
    expect(at(DROP_IMPORT_INDEX_QUERY)).toBeLessThan(log.indexOf(schema[0]!));
    expect(schema.map((q) => q.split(' ')[1] === 'CONSTRAINT')).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(result.metadata).toMatchObject({
      constraints: 4,
      indexes: 6,
      skippedSchema: ['index_343aff4e', 'index_f7700477'],
    });
    expect([...target.graph('neo4j').nodes.values()].some((n) => n.labels.includes(IMPORT_LABEL))).toBe(
      false,
    );
    expect(target.graph('neo4j').indexes.has('__backup_import_id')).toBe(false);
  });

  it('reports progress through every phase with growing counts', async () => {
    const { restore, source } = await setup(richGraph({ people: 12 }));
    const events: Neo4jRestoreProgress[] = [];
    await restore({ batchSize: 5, onProgress: (p) => events.push(p) });
    const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['prepare', 'nodes', 'relationships', 'cleanup', 'schema', 'check', 'done']);
    const nodes = source.graph('neo4j').nodes.size;
    const relationships = source.graph('neo4j').relationships.size;
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.nodes).toBeGreaterThanOrEqual(events[i - 1]!.nodes);
      expect(events[i]!.relationships).toBeGreaterThanOrEqual(events[i - 1]!.relationships);
    }
    expect(events.filter((e) => e.phase === 'nodes').length).toBeGreaterThan(Math.floor(nodes / 5));
    expect(events.at(-1)).toMatchObject({
      phase: 'done',
      nodes,
      relationships,
      totalNodes: nodes,
      totalRelationships: relationships,
    });
  });

  it('retries a transaction that hit a transient error and completes', async () => {
    const { target, source, restore } = await setup(richGraph({ people: 10 }));
    let statements = 0;
    target.faults.push({
      match: (s) => isNodeStatement(s.query) && ++statements === 3,
      error: () => serverError('Neo.TransientError.Transaction.LockClientStopped', 'lock client stopped'),
    });
    await restore({ batchSize: 4, transactionSize: 8 });
    expect(
      target.transactions.some((t) => t.outcome === 'rolled back' && t.statements.some(isNodeStatement)),
    ).toBe(true);
    expect(digestDouble(target, 'neo4j')).toEqual(digestDouble(source, 'neo4j'));
  });
});

describe('failures', () => {
  it('a failure mid-import reports the committed counts; resume finishes the restore', async () => {
    const { target, source, restore } = await setup(richGraph({ people: 30 }));
    // Fails the first statement of the third node transaction: two transactions (20 nodes) committed.
    target.faults.push({
      match: (s) => isNodeStatement(s.query) && countNodeTxs(target) === 3,
      error: () => serverError('Neo.DatabaseError.General.UnknownError', 'disk full'),
    });
    const error = await failure(restore({ batchSize: 4, transactionSize: 10 }));
    const total = source.graph('neo4j').nodes.size;
    expect(error.code).toBe('RESTORE_FAILED');
    expect(error.details).toMatchObject({
      phase: 'nodes',
      nodesImported: 20,
      relationshipsImported: 0,
      database: 'neo4j',
    });
    expect(error.message).toContain(`failed during nodes after 20 of ${total} nodes and 0 of`);
    expect(error.message).toContain('disk full');
    expect(error.message).toContain('resume: { nodes: 20, relationships: 0 }');
    expect(target.graph('neo4j').nodes.size).toBe(20);

    const wrong = await failure(restore({ resume: { nodes: 30, relationships: 0 } }));
    expect(wrong.code).toBe('RESTORE_FAILED');
    expect(wrong.message).toMatch(/Cannot resume .* holds 20 nodes/);
    expect(target.graph('neo4j').nodes.size).toBe(20);

    const result = await restore({
      batchSize: 4,
      transactionSize: 10,
      resume: { nodes: 20, relationships: 0 },
    });
    expect(result.metadata['resumed']).toBe(true);
    expect(digestDouble(target, 'neo4j')).toEqual(digestDouble(source, 'neo4j'));
  });

  it('a failure in the relationship phase reports all nodes and the committed relationships', async () => {
    const { target, source, restore } = await setup(richGraph({ people: 20 }));
    let relStatements = 0;
    target.faults.push({
      match: (s) => isRelationshipStatement(s.query) && ++relStatements === 4,
      error: () => serverError('Neo.ClientError.Transaction.TransactionTimedOut', 'timed out'),
    });
    const error = await failure(restore({ batchSize: 25, transactionSize: 25 }));
    const nodes = source.graph('neo4j').nodes.size;
    expect(error.details).toMatchObject({ phase: 'relationships', nodesImported: nodes });
    const committed = error.details['relationshipsImported'] as number;
    expect(committed % 25).toBe(0);
    expect(target.graph('neo4j').relationships.size).toBe(committed);
    expect(error.details['neo4jCode']).toBe('Neo.ClientError.Transaction.TransactionTimedOut');
    await restore({ batchSize: 25, transactionSize: 25, resume: { nodes, relationships: committed } });
    expect(digestDouble(target, 'neo4j')).toEqual(digestDouble(source, 'neo4j'));
  });

  it('a constraint the data violates fails in the schema phase with the statement named', async () => {
    const spec = richGraph({ people: 6 });
    const { sink, target, restore } = await setup(spec);
    const schema = JSON.parse(sink.text('neo4j.schema.json'));
    schema.constraints.push({
      name: 'person_active',
      type: 'UNIQUENESS',
      entityType: 'NODE',
      labelsOrTypes: ['Person'],
      properties: ['active'],
      ownedIndex: 'person_active',
      createStatement: 'CREATE CONSTRAINT `person_active` FOR (n:`Person`) REQUIRE (n.`active`) IS UNIQUE',
    });
    sink.replace('neo4j.schema.json', JSON.stringify(schema));
    const error = await failure(restore({}));
    expect(error.code).toBe('RESTORE_FAILED');
    expect(error.details).toMatchObject({ phase: 'schema', nodesImported: schema.counts.nodes });
    expect(error.message).toContain('Schema statement for person_active failed');
    expect(error.details['neo4jCode']).toBe('Neo.ClientError.Schema.ConstraintValidationFailed');
    expect(target.graph('neo4j').nodes.size).toBe(schema.counts.nodes);
  });

  it('relationships whose node is not in the backup are reported as dangling, not invented', async () => {
    const { sink, target, restore } = await setup(richGraph({ people: 6 }));
    const lines = sink.text('neo4j.graph.jsonl').trimEnd().split('\n');
    const victim = JSON.parse(lines[0]!);
    const kept = lines.slice(1);
    const dangling = kept.filter((l) => {
      const line = JSON.parse(l);
      return line.type === 'relationship' && (line.start.id === victim.id || line.end.id === victim.id);
    }).length;
    expect(dangling).toBeGreaterThan(0);
    sink.replace('neo4j.graph.jsonl', `${kept.join('\n')}\n`);
    const schema = JSON.parse(sink.text('neo4j.schema.json'));
    schema.counts.nodes -= 1;
    sink.replace('neo4j.schema.json', JSON.stringify(schema));
    const result = await restore({});
    expect(result.metadata['danglingRelationships']).toBe(dangling);
    expect(target.graph('neo4j').relationships.size).toBe(schema.counts.relationships - dangling);
  });

  it('a corrupt line fails with RESTORE_FAILED naming it; mismatching counts are refused', async () => {
    const { sink, restore } = await setup(richGraph({ people: 4 }));
    const original = sink.text('neo4j.graph.jsonl');
    const lines = original.trimEnd().split('\n');
    lines[2] = lines[2]!.replace('"type":"node"', '"type":"vertex"');
    sink.replace('neo4j.graph.jsonl', `${lines.join('\n')}\n`);
    const error = await failure(restore({}));
    expect(error.code).toBe('RESTORE_FAILED');
    expect(error.message).toContain('neo4j.graph.jsonl line 3: "type" must be "node" or "relationship"');
    sink.replace('neo4j.graph.jsonl', original);
    const schema = JSON.parse(sink.text('neo4j.schema.json'));
    schema.counts.relationships += 1;
    sink.replace('neo4j.schema.json', JSON.stringify(schema));
    const counted = await failure(restore({ force: true }));
    expect(counted.message).toMatch(
      /has \d+ nodes and \d+ relationships, but the schema document of the same backup counts/,
    );
  });

  it('stops between transactions with ABORTED and the committed counts', async () => {
    const { target, restore } = await setup(richGraph({ people: 20 }));
    const controller = new AbortController();
    const error = await failure(
      restore(
        {
          batchSize: 5,
          onProgress: (p) => {
            if (p.phase === 'nodes' && p.nodes >= 10) controller.abort();
          },
        },
        context(controller.signal),
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.details).toMatchObject({ phase: 'nodes', nodesImported: 10 });
    expect(target.graph('neo4j').nodes.size).toBe(10);
  });

  it('validates restore options', async () => {
    const { restore } = await setup(richGraph({ people: 2 }));
    for (const [options, field] of [
      [{ batchSize: 0 }, 'batchSize'],
      [{ transactionSize: 1.5 }, 'transactionSize'],
      [{ database: '' }, 'database'],
      [{ force: 'yes' }, 'force'],
      [{ resume: { nodes: -1, relationships: 0 } }, 'resume'],
      [{ resume: { nodes: 1, relationships: 0 }, force: true }, 'resume'],
      [{ targetUri: 'http://x' }, 'targetUri'],
    ] as const) {
      const error = await failure(restore(options as unknown as Neo4jRestoreOptions));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(`neo4j restore option ${field}`);
    }
  });
});

function countNodeTxs(server: Neo4jDouble): number {
  return server.transactions.filter((t) => t.statements.some(isNodeStatement)).length;
}
