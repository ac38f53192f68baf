// Restore drills against real servers: a source PostgreSQL, a separate drill PostgreSQL, a directory
// repository and a real Prometheus Pushgateway. The drill restores into scratch databases, checks the
// counts, stores its report next to the set, pushes its metrics into a group of their own, and
// removes the scratch databases, also when it fails.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Catalog,
  executePrune,
  FsStorage,
  isBackupError,
  type Manifest,
  planPrune,
  resolveCompression,
  runBackup,
  verifyBackup,
} from '@backup/core';
import { createBackupMetrics, pushMetrics } from '@backup/metrics';
import { createPostgresEngine } from '@backup/postgres';
import {
  type PostgresServer,
  type PushgatewayServer,
  startPostgres,
  startPushgateway,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresRestoreAdapter,
  DRILL_REPORT_NAME,
  formatDrillReport,
  latestPassedDrill,
  listDrillReports,
  planRestore,
  type Repository,
  type RestoreJob,
  readDrillReport,
  runDrill,
} from '../src/index.js';
import type { PostgresTargetOptions } from '../src/postgres/PostgresTargetOptions.js';

let source: PostgresServer;
let drillServer: PostgresServer;
let pushgateway: PushgatewayServer;
let dir: string;
let storage: FsStorage;
let repository: Repository;
const sets: Manifest[] = [];

function job(name: string): RestoreJob<PostgresTargetOptions> {
  const url = source.url('postgres');
  const engine = () =>
    createPostgresEngine({ url, binDir: source.binDir, env: {}, databases: ['outline', 'langgraph'] });
  return {
    name,
    engine: engine(),
    adapter: createPostgresRestoreAdapter({ url, env: {}, binDir: source.binDir, createEngine: engine }),
  };
}

async function scratchDatabases(): Promise<string[]> {
  return (
    await drillServer.query<{ d: string }>(
      `select datname as d from pg_database where datname like 'drill\\_%' order by 1`,
    )
  ).map((r) => r.d);
}

/** The Pushgateway's samples of one metric: labels (sorted, without instance) -> value. */
async function scrape(name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${pushgateway.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)]
      .filter(([, k]) => k !== 'instance')
      .map(([, k, v]) => `${k}=${v}`)
      .sort()
      .join(',');
    out.set(labels, Number(match[3]));
  }
  return out;
}

beforeAll(async () => {
  [source, drillServer, pushgateway] = await Promise.all([
    startPostgres(),
    startPostgres(),
    startPushgateway(),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'drill-test-'));
  storage = new FsStorage({ path: dir });
  repository = {
    storage,
    catalog: new Catalog(storage),
    compression: resolveCompression({ algorithm: 'zstd' }),
  };
  await source.query('create database outline');
  await source.query('create database langgraph');
  await source.query(
    `create table documents (id int primary key, body text); insert into documents select g, repeat('x', 200) from generate_series(1, 5000) g;`,
    'outline',
  );
  await source.query(
    `create table checkpoints (id int); insert into checkpoints select generate_series(1, 300);`,
    'langgraph',
  );
  for (const day of ['2026-01-20T02:00:00Z', '2026-01-21T02:00:00Z']) {
    sets.push(
      await runBackup({
        job: 'postgresql',
        engine: job('postgresql').engine,
        storage,
        compression: repository.compression,
        clock: () => new Date(day),
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all([source?.stop(), drillServer?.stop(), pushgateway?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a passing drill', () => {
  it('restores the latest set into scratch databases, checks counts, stores the report, pushes metrics, cleans up', async () => {
    // A leftover of an interrupted drill is removed first.
    await drillServer.query('create database drill_postgresql_outline');
    await drillServer.query('create table junk (x int)', 'drill_postgresql_outline');
    const outcome = await runDrill({
      job: job('postgresql'),
      repository,
      scratch: { url: drillServer.url('postgres') },
      pushgateway: pushgateway.url,
      clock: () => new Date('2026-01-25T04:00:00Z'),
    });
    const { report } = outcome;
    expect(report.ok, formatDrillReport(report)).toBe(true);
    expect(report).toMatchObject({
      kind: 'restore-drill',
      job: 'postgresql',
      setId: '20260121-020000',
      engine: 'postgres',
    });
    expect(report.units.map((u) => [u.unit, u.target, u.check?.ok, u.check?.compared])).toEqual([
      ['outline', 'drill_postgresql_outline', true, true],
      ['langgraph', 'drill_postgresql_langgraph', true, true],
    ]);
    expect(report.units[0]!.check!.items).toEqual([
      expect.objectContaining({ name: 'public.documents', status: 'ok', expected: 5000, actual: 5000 }),
    ]);
    expect(report.rtoSeconds).toBeGreaterThan(0);
    expect(report.rtoSeconds).toBeCloseTo(
      report.units.reduce((n, u) => n + (u.restoreSeconds ?? 0), 0),
      6,
    );
    expect(report.scratch).toEqual({
      server: `127.0.0.1:${drillServer.port}`,
      prefix: 'drill_',
      removed: true,
    });
    expect(JSON.stringify(report)).not.toContain(drillServer.password);
    expect(await scratchDatabases()).toEqual([]);

    // Stored next to the set; the set stays complete, listed and verifiable.
    expect(outcome.key).toBe('postgresql/20260121-020000/drill-20260125-040000.json');
    expect(DRILL_REPORT_NAME.test('drill-20260125-040000.json')).toBe(true);
    expect(await readDrillReport(storage, outcome.key!)).toEqual(report);
    expect(JSON.parse(await readFile(join(dir, outcome.key!), 'utf8'))).toEqual(report);
    expect((await repository.catalog.listBackups('postgresql')).map((m) => m.id)).toEqual([
      '20260121-020000',
      '20260120-020000',
    ]);
    const listing = (await repository.catalog.listSets('postgresql'))[0]!;
    expect(listing.objects).toBe(sets[1]!.artifacts.length + 2); // artifacts, manifest, drill report
    expect((await verifyBackup({ catalog: repository.catalog, manifest: sets[1]! })).ok).toBe(true);

    // Metrics, in their own Pushgateway group.
    expect(outcome.pushed).toBe(true);
    const labels = 'drill=restore,engine=postgres,job=postgresql';
    expect((await scrape('backup_restore_drill_status')).get(labels)).toBe(1);
    expect((await scrape('backup_restore_drill_duration_seconds')).get(labels)).toBeCloseTo(
      report.rtoSeconds,
      6,
    );
    expect((await scrape('backup_restore_drill_last_run_timestamp_seconds')).get(labels)).toBe(
      Date.parse('2026-01-25T04:00:00Z') / 1000,
    );
  });

  it("survives the backup run's PUT of the job's own group", async () => {
    const metrics = createBackupMetrics();
    metrics.recordJob({
      phase: 'success',
      job: 'postgresql',
      engine: 'postgres',
      time: Date.now(),
      durationMs: 1000,
    });
    await pushMetrics({ url: pushgateway.url, job: 'postgresql', registry: metrics.registry });
    expect((await scrape('backup_status')).get('engine=postgres,job=postgresql')).toBe(1);
    expect(
      (await scrape('backup_restore_drill_status')).get('drill=restore,engine=postgres,job=postgresql'),
    ).toBe(1);
  });

  it('measures the RTO that restore plans then estimate with', async () => {
    const plan = await planRestore({
      job: job('postgresql'),
      repository,
      request: {
        manifest: sets[1]!,
        units: ['outline'],
        flags: { target: drillServer.url('postgres'), into: 'estimate_only' },
      },
    });
    expect(plan.estimate.basis).toBe('drill');
    expect(plan.estimate.drill?.setId).toBe('20260121-020000');
  });

  it('drills an older set on request, and prune deletes its report with the set', async () => {
    const outcome = await runDrill({
      job: job('postgresql'),
      repository,
      scratch: { url: drillServer.url('postgres'), prefix: 'drill_' },
      set: '20260120-020000',
    });
    expect(outcome.report.ok).toBe(true);
    expect(outcome.pushed).toBeUndefined();
    expect((await listDrillReports(storage, 'postgresql')).map((r) => r.setId)).toEqual([
      '20260121-020000',
      '20260120-020000',
    ]);
    const plan = await planPrune({ catalog: repository.catalog, job: 'postgresql', policy: { keepLast: 1 } });
    expect(plan.remove.map((s) => s.id)).toEqual(['20260120-020000']);
    await executePrune({ storage, plan });
    expect((await listDrillReports(storage, 'postgresql')).map((r) => r.setId)).toEqual(['20260121-020000']);
    const left: string[] = [];
    for await (const o of storage.list('postgresql/20260120-020000/')) left.push(o.key);
    expect(left).toEqual([]);
  });
});

describe('a failing drill', () => {
  it('reports a corrupt artifact (status 0 pushed, report stored) and still removes the scratch databases', async () => {
    const corrupt = await runBackup({
      job: 'corrupt',
      engine: job('corrupt').engine,
      storage,
      compression: repository.compression,
      clock: () => new Date('2026-01-22T02:00:00Z'),
    });
    const artifact = corrupt.artifacts.find((a) => a.unit === 'langgraph')!;
    const bytes = await readFile(join(dir, artifact.key));
    bytes[bytes.length - 20]! ^= 0x01;
    await writeFile(join(dir, artifact.key), bytes);
    const outcome = await runDrill({
      job: job('corrupt'),
      repository,
      scratch: { url: drillServer.url('postgres') },
      pushgateway: pushgateway.url,
    });
    const { report } = outcome;
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('CHECKSUM_MISMATCH');
    expect(report.units.map((u) => [u.unit, u.error?.code ?? 'ok'])).toEqual([
      ['outline', 'ok'],
      ['langgraph', 'CHECKSUM_MISMATCH'],
    ]);
    expect(report.scratch.removed).toBe(true);
    expect(await scratchDatabases()).toEqual([]);
    expect(outcome.key).toMatch(/^corrupt\/20260122-020000\/drill-\d{8}-\d{6}\.json$/);
    expect(formatDrillReport(report)).toContain('DRILL FAILED');
    expect(
      (await scrape('backup_restore_drill_status')).get('drill=restore,engine=postgres,job=corrupt'),
    ).toBe(0);
    // never passed: no RTO to publish
    expect(
      (await scrape('backup_restore_drill_duration_seconds')).has(
        'drill=restore,engine=postgres,job=corrupt',
      ),
    ).toBe(false);
  });

  it('keeps the RTO of the last passed drill when a drill fails (the drill server refuses the login)', async () => {
    const passed = await latestPassedDrill(storage, 'postgresql');
    expect(passed?.ok).toBe(true);
    const outcome = await runDrill({
      job: job('postgresql'),
      repository,
      scratch: { url: drillServer.url('postgres').replace(drillServer.password, 'wrong-drill-pw') },
      pushgateway: pushgateway.url,
    });
    expect(outcome.report.ok).toBe(false);
    expect(outcome.report.error?.code).toBe('RESTORE_FAILED');
    expect(outcome.report.error?.message).toContain('password authentication failed');
    expect(JSON.stringify(outcome.report)).not.toContain('wrong-drill-pw');
    expect(outcome.report.scratch.removed).toBe(true); // nothing was created
    const labels = 'drill=restore,engine=postgres,job=postgresql';
    expect((await scrape('backup_restore_drill_status')).get(labels)).toBe(0);
    expect((await scrape('backup_restore_drill_duration_seconds')).get(labels)).toBeCloseTo(
      passed!.rtoSeconds,
      6,
    );
  });

  it('throws NOT_FOUND when the job has no set, after pushing status 0', async () => {
    const error = await runDrill({
      job: job('nothing-yet'),
      repository,
      scratch: { url: drillServer.url('postgres') },
      pushgateway: pushgateway.url,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBackupError(error, 'NOT_FOUND')).toBe(true);
    expect(
      (await scrape('backup_restore_drill_status')).get('drill=restore,engine=postgres,job=nothing-yet'),
    ).toBe(0);
  });
});
