// The restore flow of @backup/restore for Neo4j, against the session double of @backup/neo4j/testing
// (an in-memory Neo4j that runs exactly the engine's Cypher), extended with the adapter's own
// statements (fixtures/neo4jTestServer.ts): one double per server (source, target, Enterprise and
// Community drill servers), sets made by the real engine in a directory repository.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@backup/config';
import {
  type BackupError,
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  resolveCompression,
  runBackup,
} from '@backup/core';
import { createNeo4jEngine, type Neo4jRestoreOptions } from '@backup/neo4j';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNeo4jRestoreAdapter,
  createRestoreAdapter,
  type Repository,
  type RestoreFlags,
  type RestoreJob,
  resolveBackupSet,
  runDrill,
  runRestore,
  scratchGraphName,
} from '../src/index.js';
import { Neo4jTestServer } from './fixtures/neo4jTestServer.js';

const SOURCE = 'neo4j://graph.source:7687';
const TARGET = 'bolt://graph.target:7687';
const servers = new Map<string, Neo4jTestServer>();
let source: Neo4jTestServer;
let dir: string;
let storage: FsStorage;
let repository: Repository;
let set: Manifest;
const ctx = {
  signal: new AbortController().signal,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
};

function serverAt(
  uri: string,
  options: ConstructorParameters<typeof Neo4jTestServer>[0] = {},
): Neo4jTestServer {
  const server = new Neo4jTestServer(options);
  servers.set(uri, server);
  return server;
}

function driverFor(uri: string) {
  const server = servers.get(uri);
  if (!server) throw new Error(`no test server at ${uri}`);
  return server.driver();
}

/** The job: engine and adapter on the source double; other URIs reach their doubles. */
function job(name = 'neo4j'): RestoreJob<Neo4jRestoreOptions> {
  return {
    name,
    engine: createNeo4jEngine({ uri: SOURCE, driver: source.driver() }),
    adapter: createNeo4jRestoreAdapter({
      uri: SOURCE,
      driver: source.driver(),
      driverFor,
      createEngine: (s) =>
        createNeo4jEngine({
          uri: s.uri ?? SOURCE,
          driver: s.driver ?? source.driver(),
          databases: s.databases,
        }),
    }),
  };
}

async function restore(
  manifest: Manifest,
  flags: RestoreFlags,
  options: { dryRun?: boolean; units?: string[]; restoreJob?: RestoreJob<Neo4jRestoreOptions> } = {},
) {
  const restoreJob = options.restoreJob ?? job(manifest.job);
  return runRestore({
    job: restoreJob,
    repository,
    request: { manifest, units: options.units ?? restoreJob.adapter.defaultUnits(manifest, flags), flags },
    dryRun: options.dryRun,
  });
}

/** Id-independent digest of a database: labels + properties of nodes, typed relationships between them, schema. */
function digest(server: Neo4jTestServer, database: string) {
  const graph = server.graph(database);
  const props = (p: Record<string, unknown>) =>
    JSON.stringify(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1)));
  const text = new Map<number, string>();
  for (const node of graph.nodes.values()) {
    text.set(node.id, `(${[...node.labels].sort().join(':')} ${props(node.properties)})`);
  }
  return {
    nodes: [...text.values()].sort(),
    relationships: [...graph.relationships.values()]
      .map((r) => `${text.get(r.start)}-[${r.type} ${props(r.properties)}]->${text.get(r.end)}`)
      .sort(),
    constraints: [...graph.constraints.keys()].sort(),
  };
}

async function seed(server: Neo4jTestServer, database: string, people: number, extra = ''): Promise<void> {
  const graph = server.graph(database);
  const persons = Array.from({ length: people }, (_, i) =>
    graph.createNode(i === 0 ? ['Person', 'Author'] : ['Person'], {
      id: `p${i}${extra}`,
      name: `Person ${i}`,
    }),
  );
  const doc = graph.createNode(['Doc'], { title: `Runbook${extra}`, score: 0.5, draft: false });
  for (let i = 1; i < people; i++)
    graph.createRelationship(persons[i - 1]!, 'KNOWS', persons[i]!, { since: '2024' });
  graph.createRelationship(persons[0]!, 'WROTE', doc, {});
  const session = server.driver().session({ database });
  await session.run('CREATE CONSTRAINT `person_id` FOR (n:`Person`) REQUIRE (n.`id`) IS UNIQUE');
  await session.close();
}

async function objects(): Promise<string[]> {
  const out: string[] = [];
  for await (const o of storage.list('')) out.push(`${o.key} ${o.size}`);
  return out.sort();
}

async function expectError(promise: Promise<unknown>, code: string): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBackupError(error), String(error)).toBe(true);
  expect((error as BackupError).code, (error as BackupError).message).toBe(code);
  return error as BackupError;
}

beforeAll(async () => {
  source = serverAt(SOURCE, { databases: ['neo4j', 'agents'] });
  await seed(source, 'neo4j', 6);
  const agents = source.graph('agents');
  agents.createRelationship(
    agents.createNode(['Agent'], { name: 'a' }),
    'CALLS',
    agents.createNode(['Tool'], { name: 't' }),
    {},
  );
  dir = await mkdtemp(join(tmpdir(), 'restore-neo4j-'));
  storage = new FsStorage({ path: join(dir, 'repo') });
  repository = {
    storage,
    catalog: new Catalog(storage),
    compression: resolveCompression({ algorithm: 'zstd' }),
  };
  set = await runBackup({ job: 'neo4j', engine: job().engine, storage, compression: repository.compression });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore into a Neo4j server', () => {
  let target: Neo4jTestServer;

  it('restores the latest set (Enterprise: a missing database is created); checks match per label and type', async () => {
    target = serverAt(TARGET);
    const latest = await resolveBackupSet(repository.catalog, 'neo4j', { ref: 'latest' });
    expect(latest.id).toBe(set.id);
    const { plan, report } = await restore(latest, { target: TARGET });
    expect(plan.target.server).toBe('graph.target:7687 (enterprise 5.26.0)');
    expect(plan.target.units.map((u) => [u.unit, u.action]).sort()).toEqual([
      ['agents', 'create'],
      ['neo4j', 'restore'],
    ]);
    expect(report?.ok).toBe(true);
    const neo4j = report!.units.find((u) => u.unit === 'neo4j')!;
    expect(neo4j.check).toMatchObject({
      ok: true,
      compared: true,
      summary: '7 nodes, 6 relationships (3 labels, 2 types): all match the backup',
    });
    expect(neo4j.check.items.map((i) => [i.name, i.expected, i.actual])).toEqual([
      ['nodes', 7, 7],
      ['relationships', 6, 6],
      [':Author', 1, 1],
      [':Doc', 1, 1],
      [':Person', 6, 6],
      ['[:KNOWS]', 5, 5],
      ['[:WROTE]', 1, 1],
    ]);
    expect(digest(target, 'neo4j')).toEqual(digest(source, 'neo4j'));
    expect(digest(target, 'agents')).toEqual(digest(source, 'agents'));
  });

  it('refuses a non-empty database without --force (TARGET_NOT_EMPTY) and changes nothing', async () => {
    const before = { graph: digest(target, 'neo4j'), objects: await objects() };
    const error = await expectError(
      restore(set, { target: TARGET }, { units: ['neo4j'] }),
      'TARGET_NOT_EMPTY',
    );
    expect(error.message).toContain('holds 7 nodes, 6 relationships, 1 constraints');
    expect(digest(target, 'neo4j')).toEqual(before.graph);
    expect(await objects()).toEqual(before.objects);
  });

  it('a dry run with --force plans the wipe and the safety backup, and changes nothing', async () => {
    const before = { graph: digest(target, 'neo4j'), objects: await objects() };
    const transactions = target.double.transactions.length;
    const { plan, report } = await restore(
      set,
      { target: TARGET, force: true },
      { units: ['neo4j'], dryRun: true },
    );
    expect(report).toBeUndefined();
    expect(plan.target.units[0]).toMatchObject({ action: 'overwrite', target: 'neo4j' });
    expect(plan.target.units[0]!.detail).toContain('all of it is deleted first');
    expect(plan.safetyBackup).toMatchObject({ action: 'take', job: 'neo4j-pre-restore', targets: ['neo4j'] });
    expect(digest(target, 'neo4j')).toEqual(before.graph);
    expect(await objects()).toEqual(before.objects);
    // Only reads: no write transaction, no statement but SHOW, MATCH ... RETURN and dbms.components().
    const since = target.double.transactions.slice(transactions);
    expect(since.length).toBeGreaterThan(0);
    expect(since.filter((t) => t.access === 'WRITE')).toEqual([]);
    expect(
      since
        .flatMap((t) => t.statements)
        .filter((q) => !/^(SHOW |MATCH .* RETURN |CALL dbms\.components)/.test(q)),
    ).toEqual([]);
  });

  it('--force backs up the database it wipes; that safety set restores the state before', async () => {
    const local = target.graph('neo4j');
    local.createNode(['Local'], { note: 'only on the target' });
    const previous = digest(target, 'neo4j');
    const { report } = await restore(set, { target: TARGET, force: true }, { units: ['neo4j'] });
    expect(report?.ok).toBe(true);
    expect(digest(target, 'neo4j')).toEqual(digest(source, 'neo4j'));
    const safety = await repository.catalog.readManifest('neo4j-pre-restore', report!.safetyBackup!.setId);
    expect(safety.units.map((u) => [u.name, u.metadata['nodes']])).toEqual([['neo4j', 8]]);
    const undo = await restore(
      safety,
      { target: TARGET, into: 'before' },
      { restoreJob: job('neo4j-pre-restore') },
    );
    expect(undo.plan.target.units[0]).toMatchObject({ target: 'before', action: 'create' });
    expect(undo.report?.units[0]?.check).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/^8 nodes, 6 relationships/),
    });
    expect(digest(target, 'before')).toEqual(previous);
  });

  it('checks fail naming the label and type counts that differ from the backup', async () => {
    const graph = target.graph('neo4j');
    const victim = [...graph.nodes.values()].find((n) => n.properties['id'] === 'p5')!;
    graph.deleteNode(victim, []);
    const { adapter } = job();
    const unit = set.units.find((u) => u.name === 'neo4j')!;
    const check = await adapter.check(
      {
        unit,
        result: { unit: 'neo4j', target: 'neo4j', metadata: {} },
        options: adapter.restoreOptions({ target: TARGET }, [unit]),
      },
      ctx,
    );
    expect(check.ok).toBe(false);
    expect(
      check.items.filter((i) => i.status !== 'ok').map((i) => [i.name, i.expected, i.actual, i.status]),
    ).toEqual([
      ['nodes', 7, 6, 'mismatch'],
      ['relationships', 6, 5, 'mismatch'],
      [':Person', 6, 5, 'mismatch'],
      ['[:KNOWS]', 5, 4, 'mismatch'],
    ]);
    expect(check.summary).toContain(':Person: 5, backup had 6');
  });

  it('refuses what Neo4j cannot do: --into with two databases, a missing database on Community Edition', async () => {
    const error = await expectError(restore(set, { target: TARGET, into: 'x' }), 'CONFIG_INVALID');
    expect(error.message).toContain('--into needs exactly one database');
    serverAt('bolt://community.target:7687', { edition: 'community' });
    const community = await expectError(
      restore(set, { target: 'bolt://community.target:7687' }, { units: ['agents'] }),
      'CONFIG_INVALID',
    );
    expect(community.message).toContain(
      'community edition cannot create databases: restore into its database with --into neo4j',
    );
    await expectError(restore(set, { target: TARGET, toFile: '/tmp/x' }), 'CONFIG_INVALID');
  });

  it('is what createRestoreAdapter wires for a configured neo4j job', () => {
    const config = parseConfig({
      storage: { type: 'fs', path: '/tmp/x' },
      jobs: [{ name: 'graph', engine: 'neo4j', uri: SOURCE, user: 'neo4j', password: 'secret' }],
    });
    const adapter = createRestoreAdapter({ job: config.jobs[0]!, env: {}, createEngine: () => job().engine });
    expect(adapter.engine).toBe('neo4j');
    expect(adapter.restoreOptions({ target: TARGET, force: true }, [set.units[0]!])).toEqual({
      targetUri: TARGET,
      force: true,
    });
    expect(() => adapter.restoreOptions({ target: 'http://nope' }, [set.units[0]!])).toThrow(/neo4j:\/\//);
  });
});

describe('Neo4j drills', () => {
  it('Enterprise: restores into <prefix><job>-<db> databases, checks them and drops them', async () => {
    const uri = 'neo4j://drill.enterprise:7687';
    const drill = serverAt(uri);
    await seed(drill, 'neo4j', 2, '-drill-server'); // the drill server's own data: never touched
    const own = digest(drill, 'neo4j');
    const outcome = await runDrill({ job: job(), repository, scratch: { url: uri } });
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.units.map((u) => [u.unit, u.target, u.check?.ok]).sort()).toEqual([
      ['agents', scratchGraphName('drill_', 'neo4j', 'agents'), true],
      ['neo4j', 'drill-neo4j-neo4j', true],
    ]);
    expect(drill.databases.sort()).toEqual(['neo4j']);
    expect(digest(drill, 'neo4j')).toEqual(own);
  });

  it('Community: restores into the drill server’s empty default database and empties it again', async () => {
    const uri = 'bolt://drill.community:7687';
    const drill = serverAt(uri, { edition: 'community' });
    const outcome = await runDrill({ job: job(), repository, scratch: { url: uri } });
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.units.map((u) => [u.unit, u.target, u.check?.summary]).sort()).toEqual([
      ['agents', 'neo4j', '2 nodes, 1 relationships (2 labels, 1 types): all match the backup'],
      ['neo4j', 'neo4j', '7 nodes, 6 relationships (3 labels, 2 types): all match the backup'],
    ]);
    expect(drill.graph('neo4j').nodes.size).toBe(0);
    expect(drill.graph('neo4j').constraints.size).toBe(0);
  });

  it('Community: a drill server whose database holds data is refused (TARGET_NOT_EMPTY) and left alone', async () => {
    const uri = 'bolt://busy.community:7687';
    const drill = serverAt(uri, { edition: 'community' });
    await seed(drill, 'neo4j', 3, '-theirs');
    const before = digest(drill, 'neo4j');
    const outcome = await runDrill({ job: job(), repository, scratch: { url: uri } });
    expect(outcome.report.ok).toBe(false);
    expect(outcome.report.error?.code).toBe('TARGET_NOT_EMPTY');
    expect(outcome.report.error?.message).toContain('use a dedicated, empty drill server');
    expect(digest(drill, 'neo4j')).toEqual(before);
  });
});
