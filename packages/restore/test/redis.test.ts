// The restore flow of @backup/restore for Redis: real redis-servers (source, target, drill), sets made
// by the real engine (RDB and keys mode) in a directory repository, the adapter wired as the apps wire
// it (createRestoreAdapter + createEngine of @backup/config): restores into empty servers, refusals,
// safety backups that restore, dry runs, checks against the recorded key counts, file placement, drills.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, parseConfig } from '@backup/config';
import {
  type BackupError,
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  resolveCompression,
  runBackup,
} from '@backup/core';
import type { RedisRestoreOptions } from '@backup/redis';
import { type RedisServer, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRestoreAdapter,
  type Repository,
  type RestoreFlags,
  type RestoreJob,
  resolveBackupSet,
  runDrill,
  runRestore,
} from '../src/index.js';

let source: RedisServer;
let dir: string;
let storage: FsStorage;
let repository: Repository;
const servers: RedisServer[] = [];
let rdbSet: Manifest;
let keysSet: Manifest;
const ctx = {
  signal: new AbortController().signal,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
};

async function server(): Promise<RedisServer> {
  const started = await startRedis({ config: { 'enable-debug-command': 'yes' } });
  servers.push(started);
  return started;
}

/** A job as the apps wire it: config job -> engine and adapter (createRestoreAdapter). */
function job(
  name: string,
  mode: 'rdb' | 'keys' = 'rdb',
  tls?: { caFile: string; certFile: string; keyFile: string },
): RestoreJob<RedisRestoreOptions> {
  const config = parseConfig({
    storage: { type: 'fs', path: dir },
    jobs: [{ name, engine: 'redis', url: source.url(), mode, ...(tls ? { tls } : {}) }],
  });
  const configured = config.jobs[0]!;
  return {
    name,
    engine: createEngine(configured, {}),
    adapter: createRestoreAdapter({ job: configured, env: {}, createEngine: (j) => createEngine(j, {}) }),
  };
}

async function restore(
  manifest: Manifest,
  flags: RestoreFlags,
  options: { dryRun?: boolean; units?: string[]; restoreJob?: RestoreJob<RedisRestoreOptions> } = {},
) {
  const restoreJob = options.restoreJob ?? job(manifest.job, manifest.job === 'redis-keys' ? 'keys' : 'rdb');
  return runRestore({
    job: restoreJob,
    repository,
    request: {
      manifest,
      units: options.units ?? restoreJob.adapter.defaultUnits(manifest, flags),
      flags,
    },
    dryRun: options.dryRun,
  });
}

/** `DEBUG DIGEST`: one hash of every key, value and expiry of the server (all databases). */
async function digest(redis: RedisServer): Promise<string> {
  return (await redis.cli(['DEBUG', 'DIGEST'])).trim();
}

async function dbsize(redis: RedisServer, db: number): Promise<number> {
  return Number((await redis.cli(['-n', String(db), 'DBSIZE'])).trim());
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
  source = await server();
  dir = await mkdtemp(join(tmpdir(), 'restore-redis-'));
  storage = new FsStorage({ path: join(dir, 'repo') });
  repository = {
    storage,
    catalog: new Catalog(storage),
    compression: resolveCompression({ algorithm: 'zstd' }),
  };
  const pipe = async (db: number, commands: string[][]) => {
    for (const command of commands) await source.cli(['-n', String(db), ...command]);
  };
  const strings: string[] = ['MSET'];
  for (let i = 0; i < 120; i++) strings.push(`session:${i}`, `value ${i} 復旧`);
  await pipe(0, [
    strings,
    ['HSET', 'user:1', 'name', 'Ada', 'role', 'admin'],
    ['RPUSH', 'queue', 'a', 'b', 'c'],
    ['SADD', 'tags', 'x', 'y'],
    ['ZADD', 'scores', '1', 'one', '2', 'two'],
    ['SET', 'expiring', 'soon', 'EX', '3600'],
  ]);
  await pipe(3, [
    ['SET', 'other-db', 'three'],
    ['HSET', 'cache:1', 'k', 'v'],
  ]);
  rdbSet = await runBackup({
    job: 'redis',
    engine: job('redis').engine,
    storage,
    compression: repository.compression,
  });
  keysSet = await runBackup({
    job: 'redis-keys',
    engine: job('redis-keys', 'keys').engine,
    storage,
    compression: repository.compression,
  });
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore into a Redis server', () => {
  let target: RedisServer;

  it('restores the latest RDB set into an empty server; the checks match the key counts per database', async () => {
    target = await server();
    const latest = await resolveBackupSet(repository.catalog, 'redis', { ref: 'latest' });
    expect(latest.id).toBe(rdbSet.id);
    expect(latest.units.map((u) => [u.name, u.kind])).toEqual([['instance', 'instance']]);
    const outcome = await restore(latest, { target: target.url() });
    expect(outcome.plan.target.units[0]).toMatchObject({ target: 'db0, db3', action: 'restore' });
    expect(outcome.plan.verifyFirst).toBe(true); // not transactional: always verified first
    const report = outcome.report!;
    expect(report.ok).toBe(true);
    expect(report.units[0]!.check).toMatchObject({
      ok: true,
      compared: true,
      summary: '2 database(s), 127 keys: all match the backup',
    });
    expect(report.units[0]!.check.items.map((i) => [i.name, i.expected, i.actual, i.status])).toEqual([
      ['db0', 125, 125, 'ok'],
      ['db3', 2, 2, 'ok'],
    ]);
    expect(await digest(target)).toBe(await digest(source));
  });

  it('refuses the now non-empty server without --force (TARGET_NOT_EMPTY) and changes nothing', async () => {
    await target.cli(['SET', 'session:0', 'changed after the restore']);
    const before = { digest: await digest(target), objects: await objects() };
    const error = await expectError(restore(rdbSet, { target: target.url() }), 'TARGET_NOT_EMPTY');
    expect(error.message).toContain('db0 (125 keys), db3 (2 keys)');
    expect(error.message).toContain('--force');
    expect(await digest(target)).toBe(before.digest);
    expect(await objects()).toEqual(before.objects);
  });

  it('a dry run with --force plans the overwrite and the safety backup, and changes nothing', async () => {
    const before = { digest: await digest(target), objects: await objects() };
    const { plan, report } = await restore(rdbSet, { target: target.url(), force: true }, { dryRun: true });
    expect(report).toBeUndefined();
    expect(plan.target.units[0]).toMatchObject({ action: 'overwrite', target: 'db0, db3' });
    expect(plan.target.units[0]!.detail).toContain('keys of the backup replace keys of the same name');
    expect(plan.safetyBackup).toMatchObject({
      action: 'take',
      job: 'redis-pre-restore',
      targets: ['db0, db3'],
    });
    expect(await digest(target)).toBe(before.digest);
    expect(await objects()).toEqual(before.objects);
  });

  it('--force takes a keys-mode safety backup of the overwritten databases, which restores the state before', async () => {
    await target.cli(['-n', '3', 'SET', 'only-on-target', 'kept']);
    const previous = await digest(target);
    const outcome = await restore(rdbSet, { target: target.url(), force: true });
    const report = outcome.report!;
    expect(report.ok).toBe(true);
    expect(await target.cli(['GET', 'session:0'])).toBe('value 0 復旧\n');
    // The key only the target had stays (RESTORE ... REPLACE touches the backup's keys): a warning.
    expect(report.units[0]!.check.warnings.join()).toContain('db3: 1 key(s) more than the backup');
    const safety = await repository.catalog.readManifest('redis-pre-restore', report.safetyBackup!.setId);
    expect(safety.units.map((u) => [u.name, u.kind, u.metadata['records']])).toEqual([
      ['db0', 'database', 125],
      ['db3', 'database', 3],
    ]);
    expect(report.undo).toBe(
      `backup restore ${report.safetyBackup!.setId} --job redis-pre-restore --force --target <the same --target URL>`,
    );
    // The safety set restores (into an empty server) to exactly the state before the restore.
    const elsewhere = await server();
    const undo = await restore(safety, { target: elsewhere.url() }, { restoreJob: job('redis-pre-restore') });
    expect(undo.report?.ok).toBe(true);
    expect(undo.report?.units.map((u) => u.check.summary)).toEqual([
      '1 database(s), 125 keys: all match the backup',
      '1 database(s), 3 keys: all match the backup',
    ]);
    expect(await digest(elsewhere)).toBe(previous);
  });

  it('checks fail naming the database when keys are missing or added after the restore', async () => {
    const fresh = await server();
    const { report } = await restore(rdbSet, { target: fresh.url() });
    const adapter = job('redis').adapter;
    const unit = rdbSet.units[0]!;
    const options = adapter.restoreOptions({ target: fresh.url() }, [unit]);
    await fresh.cli(['DEL', 'session:1', 'session:2']);
    await fresh.cli(['-n', '3', 'SET', 'intruder', 'x']);
    const restored = report!.units[0]!;
    const check = await adapter.check(
      { unit, result: { unit: unit.name, target: restored.target, metadata: restored.metadata }, options },
      ctx,
    );
    expect(check.ok).toBe(false);
    expect(check.items.map((i) => [i.name, i.expected, i.actual, i.status])).toEqual([
      ['db0', 125, 123, 'mismatch'],
      ['db3', 2, 3, 'mismatch'],
    ]);
    expect(check.summary).toBe(
      '2 of 2 database(s) differ from the backup (db0: 123 keys, backup had 125; db3: 3 keys, backup had 2)',
    );
  });

  it('restores a keys-mode set database by database, compared with the exact record counts', async () => {
    const fresh = await server();
    expect(keysSet.units.map((u) => [u.name, u.metadata['records']])).toEqual([
      ['db0', 125],
      ['db3', 2],
    ]);
    const { report } = await restore(keysSet, { target: fresh.url() }, { units: ['db3'] });
    expect(report?.units.map((u) => [u.unit, u.target, u.check.ok, u.check.summary])).toEqual([
      ['db3', `127.0.0.1:${fresh.port}`, true, '1 database(s), 2 keys: all match the backup'],
    ]);
    expect(await dbsize(fresh, 0)).toBe(0);
    expect(await dbsize(fresh, 3)).toBe(2);
  });

  it("reads and restores a TLS target with a password (rediss://, the job's TLS files)", async () => {
    const secure = await startRedis({
      tls: true,
      password: 'tls-secret',
      config: { 'enable-debug-command': 'yes' },
    });
    servers.push(secure);
    const tls = secure.tls!;
    const restoreJob = job('redis', 'rdb', {
      caFile: tls.caFile,
      certFile: tls.certFile,
      keyFile: tls.keyFile,
    });
    expect(secure.url()).toMatch(/^rediss:\/\/:tls-secret@/);
    const { report } = await restore(rdbSet, { target: secure.url() }, { restoreJob });
    expect(report?.units[0]?.check).toMatchObject({
      ok: true,
      summary: '2 database(s), 127 keys: all match the backup',
    });
    expect(await digest(secure)).toBe(await digest(source));
    const wrong = secure.url().replace('tls-secret', 'not-the-password');
    const error = await expectError(
      restore(rdbSet, { target: wrong }, { restoreJob, dryRun: true }),
      'RESTORE_FAILED',
    );
    expect(error.message).toContain('check the user and password');
    expect(error.message).not.toContain('not-the-password');
  });

  it('refuses flags Redis cannot honour: --into, --to-file with keys-mode units', async () => {
    await expectError(restore(rdbSet, { target: source.url(), into: 'other' }), 'CONFIG_INVALID');
    const error = await expectError(restore(keysSet, { toFile: join(dir, 'x.rdb') }), 'CONFIG_INVALID');
    expect(error.message).toContain('keys-mode');
  });
});

describe('file placement (--to-file)', () => {
  it('writes the verified RDB, refuses an existing file without --force, and backs it up before replacing it', async () => {
    const out = join(dir, 'placed');
    await mkdir(out);
    const first = await restore(rdbSet, { toFile: out });
    expect(first.plan.target.units[0]).toMatchObject({ target: join(out, 'dump.rdb'), action: 'create' });
    expect(first.report?.units[0]?.check).toMatchObject({ ok: true, compared: false });
    expect(first.report?.units[0]?.check.summary).toContain('the backup had db0 125 keys, db3 2 keys');
    const placed = join(out, 'dump.rdb');
    expect((await stat(placed)).size).toBe(rdbSet.artifacts[0]!.plaintextBytes);

    await expectError(restore(rdbSet, { toFile: out }), 'TARGET_NOT_EMPTY');
    // What was there before: the RDB of another server (one key).
    const other = await server();
    await other.cli(['SET', 'the-old-file', 'yes']);
    await other.cli(['SAVE']);
    const old = await readFile(join(other.dir, 'dump.rdb'));
    await writeFile(placed, old);
    const forced = await restore(rdbSet, { toFile: out, force: true });
    expect(forced.plan.target.units[0]).toMatchObject({ action: 'overwrite', target: placed });
    expect(forced.report?.safetyBackup?.targets).toEqual([placed]);
    expect((await readFile(placed)).length).toBe(rdbSet.artifacts[0]!.plaintextBytes);
    const safety = await repository.catalog.readManifest(
      'redis-pre-restore',
      forced.report!.safetyBackup!.setId,
    );
    expect(safety.artifacts.map((a) => [a.name, a.mediaType, a.plaintextBytes])).toEqual([
      ['dump.rdb.zst', 'application/vnd.redis.rdb', old.length],
    ]);
    // The safety set is a Redis set: restoring it puts the old file back, byte for byte.
    const back = join(dir, 'old-dump.rdb');
    const undo = await restore(safety, { toFile: back }, { restoreJob: job('redis-pre-restore') });
    expect(undo.report?.ok).toBe(true);
    expect(await readFile(back)).toEqual(old);
  });
});

describe('Redis drills', () => {
  it('drills the latest set on an empty drill server and empties it afterwards', async () => {
    const drill = await server();
    const outcome = await runDrill({ job: job('redis'), repository, scratch: { url: drill.url() } });
    expect(outcome.report).toMatchObject({ ok: true, setId: rdbSet.id, scratch: { removed: true } });
    expect(outcome.report.units[0]?.check).toMatchObject({
      ok: true,
      summary: '2 database(s), 127 keys: all match the backup',
    });
    expect(await dbsize(drill, 0)).toBe(0);
    expect(await dbsize(drill, 3)).toBe(0);
  });

  it('refuses a drill server that holds keys (TARGET_NOT_EMPTY) and leaves them', async () => {
    const drill = await server();
    await drill.cli(['SET', 'not-ours', '1']);
    const outcome = await runDrill({ job: job('redis'), repository, scratch: { url: drill.url() } });
    expect(outcome.report.ok).toBe(false);
    expect(outcome.report.error?.code).toBe('TARGET_NOT_EMPTY');
    expect(outcome.report.error?.message).toContain('dedicated, empty server');
    expect(await drill.cli(['GET', 'not-ours'])).toBe('1\n');
  });
});
