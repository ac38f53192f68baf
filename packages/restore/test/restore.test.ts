// The restore flow of @backup/restore against a real PostgreSQL and a directory repository: sets made
// by the real engine on three simulated days, restores by latest / id / --as-of, dry runs that change
// nothing, refusals, safety backups (and restoring them), corrupt artifacts caught before the target
// is touched, and post-restore checks against the counts recorded at backup time.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BackupError,
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  resolveCompression,
  runBackup,
} from '@backup/core';
import { createPostgresEngine, type PostgresRestoreOptions } from '@backup/postgres';
import { type PostgresServer, startPostgres } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createPostgresRestoreAdapter,
  formatRestorePlan,
  type PostgresTargetOptions,
  type Repository,
  type RestoreFlags,
  type RestoreJob,
  resolveBackupSet,
  runRestore,
  SAFETY_JOB_SUFFIX,
} from '../src/index.js';

let pg: PostgresServer;
let dir: string;
let storage: FsStorage;
let repository: Repository;
const JOB = 'postgresql';
const DAYS = ['2026-01-19T02:00:00Z', '2026-01-20T02:00:00Z', '2026-01-21T02:00:00Z'];
const sets: Manifest[] = [];

function engineFor(url: string, databases?: string[]) {
  return createPostgresEngine({
    url,
    binDir: pg.binDir,
    env: {},
    ...(databases ? { databases, globals: false } : { databases: ['outline', 'langgraph'] }),
  });
}

/** The job as the apps wire it: engine + adapter bound to the same server. */
function job(name = JOB, safetyUrl?: string): RestoreJob<PostgresTargetOptions> {
  const url = pg.url('postgres');
  return {
    name,
    engine: engineFor(url),
    adapter: createPostgresRestoreAdapter({
      url,
      env: {},
      binDir: pg.binDir,
      createEngine: (source) => engineFor(safetyUrl ?? source.url ?? url, source.databases),
    }),
  };
}

async function restore(options: {
  manifest: Manifest;
  units: string[];
  flags?: RestoreFlags;
  dryRun?: boolean;
  safetyBackup?: boolean;
  restoreJob?: RestoreJob<PostgresTargetOptions>;
}) {
  return runRestore({
    job: options.restoreJob ?? job(),
    repository,
    request: {
      manifest: options.manifest,
      units: options.units,
      flags: options.flags ?? {},
      ...(options.safetyBackup === undefined ? {} : { safetyBackup: options.safetyBackup }),
    },
    dryRun: options.dryRun,
  });
}

async function rows(database: string, table = 'docs.documents'): Promise<number> {
  const [row] = await pg.query<{ n: string }>(`select count(*)::text as n from ${table}`, database);
  return Number(row!.n);
}

async function databases(): Promise<string[]> {
  return (await pg.query<{ datname: string }>('select datname from pg_database order by 1')).map(
    (r) => r.datname,
  );
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
  pg = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'restore-test-'));
  storage = new FsStorage({ path: join(dir, 'repo') });
  repository = {
    storage,
    catalog: new Catalog(storage),
    compression: resolveCompression({ algorithm: 'zstd' }),
  };
  await pg.query('create database outline');
  await pg.query('create database langgraph');
  await pg.query(
    `create schema docs;
     create table docs.documents (id serial primary key, title text, meta jsonb);
     create table public."Odd Name" (k int);
     insert into public."Odd Name" select generate_series(1, 7);`,
    'outline',
  );
  await pg.query('create table checkpoints (id int primary key, state bytea)', 'langgraph');
  // Day n: outline holds n * 1000 documents, langgraph n * 10 checkpoints.
  for (const [i, day] of DAYS.entries()) {
    await pg.query(
      `insert into docs.documents (title, meta) select 'Runbook ' || g || ' 復旧', jsonb_build_object('n', g)
         from generate_series(1, 1000) g;
       `,
      'outline',
    );
    await pg.query(
      `insert into checkpoints select g, sha256(g::text::bytea) from generate_series(${i * 10 + 1}, ${(i + 1) * 10}) g`,
      'langgraph',
    );
    sets.push(
      await runBackup({
        job: JOB,
        engine: engineFor(pg.url('postgres')),
        storage,
        compression: repository.compression,
        clock: () => new Date(day),
      }),
    );
  }
});

afterAll(async () => {
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backup-time facts', () => {
  it('records exact per-table row counts (in the dump snapshot) and sizes in the manifest', () => {
    const outline = sets[2]!.units.find((u) => u.name === 'outline')!;
    expect(outline.metadata['tableStatsExact']).toBe(true);
    const stats = outline.metadata['tableStats'] as Array<{ table: string; rows: number; bytes: number }>;
    expect(stats.map((t) => [t.table, t.rows])).toEqual([
      ['docs.documents', 3000],
      ['public."Odd Name"', 7],
    ]);
    expect(stats[0]!.bytes).toBeGreaterThan(0);
    const langgraph = sets[0]!.units.find((u) => u.name === 'langgraph')!;
    expect((langgraph.metadata['tableStats'] as Array<{ rows: number }>)[0]!.rows).toBe(10);
  });

  it('keeps the engine restore options and the adapter options the same shape', () => {
    expectTypeOf<PostgresTargetOptions>().toEqualTypeOf<PostgresRestoreOptions>();
  });
});

describe('choosing the set', () => {
  it('restores by latest, by id and by --as-of, each set with its own data and checks', async () => {
    const latest = await resolveBackupSet(repository.catalog, JOB, { ref: 'latest' });
    expect(latest.id).toBe('20260121-020000');
    const byLatest = await restore({ manifest: latest, units: ['outline'], flags: { into: 'by_latest' } });
    expect(await rows('by_latest')).toBe(3000);
    expect(byLatest.report?.ok).toBe(true);
    expect(byLatest.report?.units[0]).toMatchObject({
      unit: 'outline',
      target: 'by_latest',
      action: 'create',
    });
    expect(byLatest.report?.units[0]?.check).toMatchObject({
      ok: true,
      compared: true,
      summary: '2 tables, 3007 rows: all match the backup',
    });

    const byId = await resolveBackupSet(repository.catalog, JOB, { ref: '20260119-020000' });
    await restore({ manifest: byId, units: ['outline'], flags: { into: 'by_id' } });
    expect(await rows('by_id')).toBe(1000);

    const asOf = await resolveBackupSet(repository.catalog, JOB, { asOf: new Date('2026-01-20T23:59:59Z') });
    expect(asOf.id).toBe('20260120-020000');
    await restore({ manifest: asOf, units: ['outline'], flags: { into: 'by_as_of' } });
    expect(await rows('by_as_of')).toBe(2000);
    // Exactly at a set's start time counts as "at or before".
    expect((await resolveBackupSet(repository.catalog, JOB, { asOf: new Date(DAYS[0]!) })).id).toBe(
      '20260119-020000',
    );
    const tooEarly = await expectError(
      resolveBackupSet(repository.catalog, JOB, { asOf: new Date('2026-01-18T00:00:00Z') }),
      'NOT_FOUND',
    );
    expect(tooEarly.message).toContain('its oldest is 20260119-020000');
  });

  it('restores every database of a set over the live ones with --force (one safety backup of both)', async () => {
    await pg.query(`insert into checkpoints values (9999, 'written after the backup')`, 'langgraph');
    const outcome = await restore({
      manifest: sets[2]!,
      units: ['outline', 'langgraph'],
      flags: { force: true },
    });
    const report = outcome.report!;
    expect(report.units.map((u) => [u.unit, u.target, u.action, u.check.ok])).toEqual([
      ['outline', 'outline', 'overwrite', true],
      ['langgraph', 'langgraph', 'overwrite', true],
    ]);
    expect(report.safetyBackup?.targets).toEqual(['outline', 'langgraph']);
    expect(await rows('langgraph', 'checkpoints')).toBe(30);
    const safety = await repository.catalog.readManifest(`${JOB}-pre-restore`, report.safetyBackup!.setId);
    const stats = safety.units.find((u) => u.name === 'langgraph')!.metadata['tableStats'] as Array<{
      rows: number;
    }>;
    expect(stats[0]!.rows).toBe(31);
  });
});

describe('safety', () => {
  it('a dry run prints the whole plan and changes nothing (storage, databases, data)', async () => {
    const before = {
      objects: await objects(),
      databases: await databases(),
      digests: await pg.rowDigests('outline'),
    };
    const outcome = await restore({
      manifest: sets[0]!,
      units: ['outline', 'langgraph'],
      flags: { force: true },
      dryRun: true,
    });
    expect(outcome.report).toBeUndefined();
    const { plan } = outcome;
    expect(plan.target.units.map((u) => [u.unit, u.target, u.action])).toEqual([
      ['outline', 'outline', 'overwrite'],
      ['langgraph', 'langgraph', 'overwrite'],
    ]);
    expect(plan.safetyBackup).toMatchObject({
      action: 'take',
      job: `${JOB}${SAFETY_JOB_SUFFIX}`,
      targets: ['outline', 'langgraph'],
    });
    expect(plan.verifyFirst).toBe(true);
    expect(plan.artifacts.map((a) => [a.name, a.storedSha256])).toEqual(
      sets[0]!.artifacts.filter((a) => a.unit !== 'globals').map((a) => [a.name, a.storedSha256]),
    );
    expect(plan.storedBytes).toBe(plan.artifacts.reduce((n, a) => n + a.storedBytes, 0));
    expect(plan.estimate.basis).toBe('default');
    expect(plan.estimate.seconds).toBeGreaterThan(0);
    const text = formatRestorePlan(plan, { dryRun: true });
    expect(text).toContain('dry run: nothing is changed');
    expect(text).toContain(`sha256 ${sets[0]!.artifacts.find((a) => a.unit === 'outline')!.storedSha256}`);
    expect(text).toMatch(/outline -> outline\s+OVERWRITE/);
    expect(text).toContain(`into job ${JOB}-pre-restore first`);
    expect(await objects()).toEqual(before.objects);
    expect(await databases()).toEqual(before.databases);
    expect(await pg.rowDigests('outline')).toEqual(before.digests);
  });

  it('refuses a non-empty target without --force and touches nothing', async () => {
    const before = { objects: await objects(), digests: await pg.rowDigests('outline') };
    const error = await expectError(restore({ manifest: sets[0]!, units: ['outline'] }), 'TARGET_NOT_EMPTY');
    expect(error.message).toContain('"outline"');
    expect(error.message).toContain('--force');
    expect(await objects()).toEqual(before.objects);
    expect(await pg.rowDigests('outline')).toEqual(before.digests);
  });

  it('takes a safety backup before overwriting, and restoring that safety set puts the old state back', async () => {
    await pg.query(`create database victim`);
    await pg.query(
      `create table notes (id int primary key, body text); insert into notes select g, 'local ' || g from generate_series(1, 42) g;
       create schema docs; create table docs.documents (id int primary key, title text); insert into docs.documents values (1, 'kept only here');`,
      'victim',
    );
    const previous = await pg.rowDigests('victim');
    const outcome = await restore({
      manifest: sets[2]!,
      units: ['outline'],
      flags: { into: 'victim', force: true },
    });
    const report = outcome.report!;
    expect(report.verifiedFirst).toBe(true);
    expect(report.safetyBackup).toMatchObject({ job: `${JOB}-pre-restore`, targets: ['victim'] });
    expect(report.undo).toBe(`backup restore ${report.safetyBackup!.setId} --job ${JOB}-pre-restore --force`);
    // The dump's objects were replaced; notes (not in the dump) stays and is reported as extra.
    expect(await rows('victim')).toBe(3000);
    expect(report.units[0]!.check.ok).toBe(true);
    expect(report.units[0]!.check.warnings.join()).toContain('public.notes');

    const safety = await repository.catalog.readManifest(`${JOB}-pre-restore`, report.safetyBackup!.setId);
    expect(safety.units.map((u) => u.name)).toEqual(['victim']);
    const undo = await restore({
      manifest: safety,
      units: ['victim'],
      flags: { into: 'victim_before' },
      restoreJob: job(`${JOB}-pre-restore`),
    });
    expect(undo.report?.ok).toBe(true);
    expect(await pg.rowDigests('victim_before')).toEqual(previous);
  });

  it('stops before touching the target when the safety backup fails', async () => {
    const digests = await pg.rowDigests('victim');
    const badUrl = pg.url('postgres').replace(pg.password, 'wrong-password');
    const error = await expectError(
      restore({
        manifest: sets[0]!,
        units: ['outline'],
        flags: { into: 'victim', force: true },
        restoreJob: job(JOB, badUrl),
      }),
      'SOURCE_FAILED',
    );
    expect(error.message).toContain('nothing was restored and the target is untouched');
    expect(error.message).not.toContain('wrong-password');
    expect(await pg.rowDigests('victim')).toEqual(digests);
  });

  it('a dry run of a restore without --force shows the refusal', async () => {
    const { plan } = await restore({
      manifest: sets[0]!,
      units: ['outline'],
      flags: { into: 'victim' },
      dryRun: true,
    });
    expect(plan.target.units[0]).toMatchObject({ action: 'refuse', target: 'victim' });
    expect(plan.safetyBackup.action).toBe('not-needed');
    expect(plan.warnings.join()).toContain('the restore stops before touching anything');
  });
});

describe('corrupt artifacts', () => {
  let corrupt: Manifest;

  beforeAll(async () => {
    corrupt = await runBackup({
      job: 'corrupt',
      engine: engineFor(pg.url('postgres'), ['outline']),
      storage,
      compression: repository.compression,
      clock: () => new Date('2026-01-22T02:00:00Z'),
    });
    const file = join(dir, 'repo', corrupt.artifacts[0]!.key);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);
  });

  it('is detected before an overwrite touches the target (verify first; no safety backup taken)', async () => {
    const digests = await pg.rowDigests('victim');
    const before = await objects();
    const error = await expectError(
      restore({
        manifest: corrupt,
        units: ['outline'],
        flags: { into: 'victim', force: true },
        restoreJob: job('corrupt'),
      }),
      'CHECKSUM_MISMATCH',
    );
    expect(error.message).toContain('the target was not touched');
    expect(await pg.rowDigests('victim')).toEqual(digests);
    expect(await objects()).toEqual(before);
  });

  it('is detected while streaming into a new database, which is dropped again', async () => {
    await expectError(
      restore({
        manifest: corrupt,
        units: ['outline'],
        flags: { into: 'never_there' },
        restoreJob: job('corrupt'),
      }),
      'CHECKSUM_MISMATCH',
    );
    expect(await databases()).not.toContain('never_there');
  });
});

describe('post-restore checks', () => {
  it("match a set taken while the database was written to (counts taken in the dump's snapshot)", async () => {
    await pg.query('create database busy');
    await pg.query(
      `create table events (id bigserial primary key, payload text);
       insert into events (payload) select repeat(md5(g::text), 20) from generate_series(1, 150000) g;`,
      'busy',
    );
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await pg.query(`insert into events (payload) values ('during the backup')`, 'busy');
        written += 1;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const manifest = await runBackup({
      job: 'busy',
      engine: engineFor(pg.url('postgres'), ['busy']),
      storage,
      compression: repository.compression,
    });
    writing = false;
    await writer;
    expect(written).toBeGreaterThan(0);
    const recorded = (manifest.units[0]!.metadata['tableStats'] as Array<{ rows: number }>)[0]!.rows;
    expect(recorded).toBeGreaterThan(150000);
    expect(recorded).toBeLessThan(await rows('busy', 'events'));
    const outcome = await restore({
      manifest,
      units: ['busy'],
      flags: { into: 'busy_copy' },
      restoreJob: job('busy'),
    });
    expect(outcome.report?.units[0]?.check).toMatchObject({ ok: true, compared: true });
    expect(await rows('busy_copy', 'events')).toBe(recorded);
  });

  it('fail when the restored counts differ from the backup, naming the table', async () => {
    const adapter = job().adapter;
    const unit = sets[2]!.units.find((u) => u.name === 'outline')!;
    await pg.query('delete from docs.documents where id <= 5', 'by_latest');
    const check = await adapter.check(
      { unit, result: { unit: 'outline', target: 'by_latest', metadata: {} }, options: {} },
      { signal: new AbortController().signal, logger: { debug() {}, info() {}, warn() {}, error() {} } },
    );
    expect(check.ok).toBe(false);
    expect(check.items.find((i) => i.name === 'docs.documents')).toMatchObject({
      status: 'mismatch',
      expected: 3000,
      actual: 2995,
    });
    expect(check.summary).toContain('docs.documents: 2995 rows, backup had 3000');
  });
});
