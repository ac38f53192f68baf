import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsStorage, isBackupError, runBackup } from '@backup/core';
import { Integer, int, isInt } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import {
  createNeo4jEngine,
  NEO4J_GRAPH_MEDIA_TYPE,
  NEO4J_SCHEMA_MEDIA_TYPE,
  NODE_PAGE_BY_ELEMENT_ID_QUERY,
  NODE_PAGE_BY_ID_QUERY,
  neo4jSchemaDocumentSchema,
  parseGraphLine,
  RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ID_QUERY,
} from '../src/index.js';
import { Neo4jDouble, serverError } from '../src/testing/Neo4jDouble.js';
import { seedDouble } from './fixtures/doubleFixtures.js';
import { backupToMemory, context } from './fixtures/engineRun.js';
import type { GraphSpec } from './fixtures/richGraph.js';
import { richGraph } from './fixtures/richGraph.js';

const URI = 'neo4j://graph.double:7687';

function smallGraph(nodes: number, relationships: number): GraphSpec {
  return {
    nodes: Array.from({ length: nodes }, (_, i) => ({
      key: `n${i}`,
      labels: i % 2 === 0 ? ['Even'] : ['Odd', 'Number'],
      properties: { i: int(i) },
    })),
    relationships: Array.from({ length: relationships }, (_, i) => ({
      start: `n${i}`,
      type: i % 2 === 0 ? 'NEXT' : 'SKIP',
      end: `n${(i + 1) % nodes}`,
      properties: {},
    })),
    schema: [],
  };
}

describe('describe and discover', () => {
  it('reports version, edition and the standard databases (system excluded)', async () => {
    const server = new Neo4jDouble({
      version: '5.26.0',
      edition: 'enterprise',
      databases: ['neo4j', 'agents'],
    });
    const engine = createNeo4jEngine({
      uri: 'neo4j+s://user:secret@graph.example:7688',
      driver: server.driver(),
    });
    const description = await engine.describe(context());
    expect(description.version).toBe('5.26.0');
    expect(description.metadata).toEqual({
      edition: 'enterprise',
      server: 'graph.example:7688',
      idKind: 'elementId',
      databases: [
        { name: 'neo4j', status: 'online', default: true },
        { name: 'agents', status: 'online', default: false },
      ],
    });
    expect(JSON.stringify(description)).not.toContain('secret');
  });

  it('discovers one graph unit per database; unknown names are CONFIG_INVALID', async () => {
    const server = new Neo4jDouble({ databases: ['neo4j', 'agents'] });
    const all = await createNeo4jEngine({ uri: URI, driver: server.driver() }).discover(context());
    expect(all.map((u) => [u.name, u.kind])).toEqual([
      ['neo4j', 'graph'],
      ['agents', 'graph'],
    ]);
    const picked = await createNeo4jEngine({
      uri: URI,
      driver: server.driver(),
      databases: ['agents'],
    }).discover(context());
    expect(picked.map((u) => u.name)).toEqual(['agents']);
    await expect(
      createNeo4jEngine({
        uri: URI,
        driver: server.driver(),
        databases: ['agents', 'nope', 'system'],
      }).discover(context()),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /nope, system/.test((e as Error).message),
    );
  });
});

describe('export', () => {
  it('pages nodes then relationships with keyset cursors, one read transaction per page', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', smallGraph(10, 4));
    const engine = createNeo4jEngine({ uri: URI, driver: server.driver(), pageSize: 3 });
    const { sink, unit } = await backupToMemory(engine);

    const pages = server.log.filter((s) => s.query.includes(' LIMIT $limit'));
    expect(pages.map((s) => s.query)).toEqual([
      ...Array(4).fill(NODE_PAGE_BY_ELEMENT_ID_QUERY),
      ...Array(2).fill(RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY),
    ]);
    const nodeIds = [...server.graph('neo4j').nodes.values()].map((n) => n.elementId).sort();
    expect(pages.slice(0, 4).map((s) => s.parameters['after'])).toEqual([
      '',
      nodeIds[2],
      nodeIds[5],
      nodeIds[8],
    ]);
    for (const page of pages) {
      expect(isInt(page.parameters['limit'])).toBe(true);
      const tx = server.transactions.find((t) => t.id === page.transaction)!;
      expect(tx.access).toBe('READ');
      expect(tx.statements).toHaveLength(1);
    }

    const lines = sink.text('neo4j.graph.jsonl').trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    const parsed = lines.map((l, i) => parseGraphLine(l, `line ${i + 1}`));
    expect(parsed.slice(0, 10).every((l) => l.type === 'node')).toBe(true);
    expect(parsed.slice(10).every((l) => l.type === 'relationship')).toBe(true);
    expect(parsed.map((l) => l.id).slice(0, 10)).toEqual(nodeIds);
    expect(unit.metadata).toMatchObject({
      nodes: 10,
      relationships: 4,
      labels: { Even: 5, Odd: 5, Number: 5 },
      relationshipTypes: { NEXT: 2, SKIP: 2 },
      serverVersion: '5.26.0',
      edition: 'enterprise',
      idKind: 'elementId',
    });
    expect(sink.artifacts.map((a) => [a.record.name, a.record.mediaType])).toEqual([
      ['neo4j.graph.jsonl', NEO4J_GRAPH_MEDIA_TYPE],
      ['neo4j.schema.json', NEO4J_SCHEMA_MEDIA_TYPE],
    ]);
  });

  it('asks for one more page when the last page is exactly full', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', smallGraph(9, 0));
    await backupToMemory(createNeo4jEngine({ uri: URI, driver: server.driver(), pageSize: 3 }));
    expect(server.statements().filter((q) => q === NODE_PAGE_BY_ELEMENT_ID_QUERY)).toHaveLength(4);
  });

  it('writes the schema document: constraints, non-owned indexes (full-text, vector, lookup), counts', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', richGraph());
    const { sink, unit } = await backupToMemory(createNeo4jEngine({ uri: URI, driver: server.driver() }));
    const schema = neo4jSchemaDocumentSchema.parse(JSON.parse(sink.text('neo4j.schema.json')));
    expect(schema.server).toEqual({ version: '5.26.0', edition: 'enterprise' });
    expect(schema.constraints.map((c) => [c.name, c.type, c.ownedIndex])).toEqual([
      ['event_key', 'NODE_KEY', 'event_key'],
      ['knows_since_type', 'RELATIONSHIP_PROPERTY_TYPE', null],
      ['person_name', 'NODE_PROPERTY_EXISTENCE', null],
      ['person_uid', 'UNIQUENESS', 'person_uid'],
    ]);
    expect(schema.indexes.map((i) => [i.name, i.type])).toEqual([
      ['doc_embedding', 'VECTOR'],
      ['index_343aff4e', 'LOOKUP'],
      ['index_f7700477', 'LOOKUP'],
      ['knows_since', 'RANGE'],
      ['person_age', 'RANGE'],
      ['person_name_text', 'TEXT'],
      ['place_location', 'POINT'],
      ['search', 'FULLTEXT'],
    ]);
    expect(schema.indexes.find((i) => i.name === 'search')?.labelsOrTypes).toEqual(['Person', 'Event']);
    expect(schema.counts.nodes).toBe(server.graph('neo4j').nodes.size);
    expect(schema.counts.relationships).toBe(server.graph('neo4j').relationships.size);
    expect(schema.counts.labels['Person']).toBe(40);
    expect(unit.metadata).toMatchObject({ constraints: 4, indexes: 8 });
  });

  it('pages on the legacy id() on Neo4j 4.4 and skips indexes 4.4 marks UNIQUE', async () => {
    const server = new Neo4jDouble({ version: '4.4.40', edition: 'community' });
    await seedDouble(server, 'neo4j', {
      ...smallGraph(5, 3),
      schema: ['CREATE CONSTRAINT `u` FOR (n:`Even`) REQUIRE (n.`i`) IS UNIQUE'],
    });
    const { sink } = await backupToMemory(
      createNeo4jEngine({ uri: URI, driver: server.driver(), pageSize: 2 }),
    );
    const pages = server.log.filter((s) => s.query.includes(' LIMIT $limit'));
    expect(new Set(pages.map((s) => s.query))).toEqual(
      new Set([NODE_PAGE_BY_ID_QUERY, RELATIONSHIP_PAGE_BY_ID_QUERY]),
    );
    expect(pages[0]!.parameters['after']).toEqual(int(-1));
    expect(pages[1]!.parameters['after']).toEqual(int(1));
    const first = parseGraphLine(sink.text('neo4j.graph.jsonl').split('\n')[0]!, 'line 1');
    expect(first.id).toBe('0');
    const schema = JSON.parse(sink.text('neo4j.schema.json'));
    expect(schema.idKind).toBe('id');
    expect(schema.indexes.map((i: { name: string }) => i.name)).toEqual(['index_343aff4e', 'index_f7700477']);
  });

  it('refuses a driver configured with disableLosslessIntegers', async () => {
    const server = new Neo4jDouble();
    const engine = createNeo4jEngine({ uri: URI, driver: server.driver({ disableLosslessIntegers: true }) });
    await expect(engine.describe(context())).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /disableLosslessIntegers/.test((e as Error).message),
    );
  });

  it('retries a page whose transaction hit a transient error, without duplicating lines', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', smallGraph(6, 0));
    let pages = 0;
    server.faults.push({
      match: (s) => s.query === NODE_PAGE_BY_ELEMENT_ID_QUERY && ++pages === 2,
      error: () => serverError('Neo.TransientError.Transaction.DeadlockDetected', 'deadlock'),
    });
    const { sink } = await backupToMemory(
      createNeo4jEngine({ uri: URI, driver: server.driver(), pageSize: 4 }),
    );
    expect(
      server.transactions
        .filter((t) => t.statements[0] === NODE_PAGE_BY_ELEMENT_ID_QUERY)
        .map((t) => t.outcome),
    ).toEqual(['committed', 'rolled back', 'committed']);
    const ids = sink
      .text('neo4j.graph.jsonl')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    expect(new Set(ids).size).toBe(6);
    expect(ids).toHaveLength(6);
  });

  it('fails with SOURCE_FAILED and the Neo4j code when a page fails, and leaves no backup set', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', smallGraph(8, 2));
    let pages = 0;
    server.faults.push({
      match: (s) => s.query === NODE_PAGE_BY_ELEMENT_ID_QUERY && ++pages === 2,
      error: () => serverError('Neo.ClientError.Security.Forbidden', 'Read access is not allowed'),
    });
    const dir = await mkdtemp(join(tmpdir(), 'neo4j-backup-'));
    try {
      const engine = createNeo4jEngine({ uri: URI, driver: server.driver(), pageSize: 3 });
      await expect(
        runBackup({
          job: 'neo4j',
          engine,
          storage: new FsStorage({ path: dir }),
          compression: { algorithm: 'none' },
        }),
      ).rejects.toSatisfy(
        (e) =>
          isBackupError(e, 'SOURCE_FAILED') &&
          /Neo\.ClientError\.Security\.Forbidden/.test((e as Error).message) &&
          (e as { details: Record<string, unknown> }).details['neo4jCode'] ===
            'Neo.ClientError.Security.Forbidden',
      );
      const sets = await readdir(join(dir, 'neo4j')).catch(() => []);
      for (const set of sets) expect(await readdir(join(dir, 'neo4j', set))).not.toContain('manifest.json');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops between pages with ABORTED when the signal fires', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', smallGraph(12, 0));
    const controller = new AbortController();
    let pages = 0;
    server.faults.push({
      match: (s) => {
        if (s.query === NODE_PAGE_BY_ELEMENT_ID_QUERY && ++pages === 2) controller.abort();
        return false;
      },
      error: () => new Error('unused'),
    });
    const engine = createNeo4jEngine({ uri: URI, driver: server.driver(), pageSize: 3 });
    await expect(backupToMemory(engine, 'neo4j', context(controller.signal))).rejects.toSatisfy((e) =>
      isBackupError(e, 'ABORTED'),
    );
    expect(pages).toBe(2);
  });
});

describe('verify', () => {
  const engine = createNeo4jEngine({ uri: URI, driver: new Neo4jDouble().driver() });
  const record = (name: string, mediaType: string) =>
    ({ name, mediaType, metadata: {} }) as unknown as Parameters<typeof engine.verify>[0];
  const node = '{"type":"node","id":"1","labels":["A"],"properties":{"n":7},"types":{"n":"INTEGER"}}';
  const rel = '{"type":"relationship","id":"2","label":"R","start":{"id":"1"},"end":{"id":"1"}}';

  it('accepts the artifacts of a backup', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', richGraph({ people: 10 }));
    const { sink } = await backupToMemory(createNeo4jEngine({ uri: URI, driver: server.driver() }));
    for (const { record: r, bytes } of sink.artifacts) {
      await expect(engine.verify(r, Readable.from([bytes]), context())).resolves.toBeUndefined();
    }
  });

  it('rejects structurally wrong graph artifacts with VERIFY_FAILED naming the line', async () => {
    const cases: [string, RegExp][] = [
      [`${node}\n${rel}\n${node}\n`, /g\.graph\.jsonl line 3: node line after relationship lines/],
      [`${node}\n\n${rel}\n`, /line 2: empty line/],
      [`${node.replace('"INTEGER"', '"DATE"')}\n`, /line 1, property "n": DATE must be/],
      [`${node.replace('"n":7', '"n":7.5')}\n`, /line 1, property "n": INTEGER must be an integral/],
      [`${node}\n{"type":"node"`, /line 2: not valid JSON/],
    ];
    for (const [text, message] of cases) {
      await expect(
        engine.verify(record('g.graph.jsonl', NEO4J_GRAPH_MEDIA_TYPE), Readable.from([text]), context()),
      ).rejects.toSatisfy((e) => isBackupError(e, 'VERIFY_FAILED') && message.test((e as Error).message));
    }
  });

  it('rejects an invalid schema document and an unknown media type', async () => {
    await expect(
      engine.verify(
        record('s.schema.json', NEO4J_SCHEMA_MEDIA_TYPE),
        Readable.from(['{"format":"neo4j-schema"}']),
        context(),
      ),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'VERIFY_FAILED') && /formatVersion/.test((e as Error).message),
    );
    await expect(
      engine.verify(record('x.bin', 'application/octet-stream'), Readable.from(['x']), context()),
    ).rejects.toSatisfy((e) => isBackupError(e, 'VERIFY_FAILED'));
  });
});

describe('values the server returns', () => {
  it('exports the exact types of every property (int64 beyond 2^53, -0.0, NaN, zoned datetimes)', async () => {
    const server = new Neo4jDouble();
    await seedDouble(server, 'neo4j', richGraph({ people: 6 }));
    const { sink } = await backupToMemory(createNeo4jEngine({ uri: URI, driver: server.driver() }));
    const text = sink.text('neo4j.graph.jsonl');
    expect(text).toContain('"uid":9223372036854775807');
    expect(text).toContain('"uid":-9223372036854775808');
    expect(text).toContain('"score":-0.0');
    expect(text).toContain('"score":"NaN"');
    expect(text).toContain('"2015-07-04T19:32:24.123456789+02:00[Europe/Berlin]"');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l, i) => parseGraphLine(l, `line ${i + 1}`));
    const first = lines.find(
      (l) =>
        l.type === 'node' &&
        l.properties['uid'] !== undefined &&
        (l.properties['uid'] as Integer).equals(Integer.MAX_VALUE),
    );
    expect(first).toBeDefined();
  });
});
