import { execFileSync } from 'node:child_process';
import {
  chmod,
  chown,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsStorage } from '@backup/core';
import { listArchivedWal } from '@backup/postgres';
import {
  freePort,
  type PostgresServer,
  type ProcessResult,
  runProcess,
  startPostgres,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End-to-end point-in-time recovery: a real cluster archives its WAL through `backup wal-push`
// (archive_command, run by the server as the postgres OS user), `backup run` takes base backups,
// and `backup pitr-restore` rebuilds clusters that hold exactly the rows committed before each
// target, following timelines through archived history files.

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const JOB = 'pg';
const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());

let work: string;
let nodeBin: string;
let config: string;
let repo: string;
let source: PostgresServer;
let archiveCommand: string;
const started: PostgresServer[] = [];
const pgCtlDirs: string[] = [];

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runProcess(nodeBin, [bin, '--config', config, ...args], { env: { LOG_LEVEL: 'warn', ...env } });
}

/** An empty directory owned by the postgres OS user. */
async function postgresDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { mode: 0o700 });
  await chown(dir, uid, gid);
  return dir;
}

/** Ids of table `events`, in order, as one string. */
async function ids(query: (sql: string) => Promise<Array<Record<string, unknown>>>): Promise<string> {
  const [row] = await query(`select coalesce(string_agg(id::text, ',' order by id), '') as ids from events`);
  return String(row!['ids']);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const idList = (...parts: number[][]) => parts.flat().join(',');

/** Inserts ids from..to, one transaction per 10 rows. */
async function insert(server: PostgresServer, from: number, to: number, note: string): Promise<void> {
  for (let start = from; start <= to; start += 10) {
    await server.query(
      `insert into events (id, note) select g, '${note}' from generate_series(${start}, ${Math.min(start + 9, to)}) g`,
    );
  }
}

/** Switches to a new segment and waits until the server archived the one it completed. */
async function switchAndWaitArchived(server: PostgresServer, timeoutMs = 60_000): Promise<string> {
  const [row] = await server.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
  const name = row!.name;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [s] = await server.query<{ last: string | null }>(
      'select last_archived_wal as last from pg_stat_archiver',
    );
    if (s!.last !== null && s!.last >= name) return name;
    if (Date.now() > deadline) throw new Error(`${name} was not archived in time (last archived ${s!.last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cli-pitr-'));
  await chmod(work, 0o755);
  // The server runs archive_command as the postgres OS user, which cannot enter /root where the
  // toolchain's node lives: give it a node binary it can execute.
  nodeBin = join(work, 'node');
  await link(process.execPath, nodeBin).catch(() => copyFile(process.execPath, nodeBin));
  await chmod(nodeBin, 0o755);
  repo = join(work, 'repo');
  await mkdir(join(repo, JOB, 'wal'), { recursive: true });
  for (const dir of [repo, join(repo, JOB), join(repo, JOB, 'wal')]) await chown(dir, uid, gid);
  config = join(work, 'backup.yaml');
  archiveCommand = `${nodeBin} ${bin} --config ${config} wal-push %p --job ${JOB}`;
  source = await startPostgres({
    settings: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica' },
  });
  // Written after the start: the URL holds the port. It must not reference variables the server's
  // environment lacks, as the archiver loads this very file for every wal-push.
  await writeFile(
    config,
    `storage:
  type: fs
  path: ${repo}
compression: zstd
retention:
  keepLast: 2
jobs:
  - name: ${JOB}
    engine: postgres
    mode: physical
    url: ${source.url()}
`,
  );
  await chmod(config, 0o644);
  await source.query(
    'create table events (id int primary key, note text, at timestamptz default clock_timestamp())',
  );
}, 120_000);

afterAll(async () => {
  for (const dir of pgCtlDirs) {
    try {
      execFileSync(
        'runuser',
        ['-u', 'postgres', '--', join(source.binDir, 'pg_ctl'), '-D', dir, 'stop', '-m', 'immediate'],
        {
          stdio: 'ignore',
        },
      );
    } catch {
      // not running
    }
  }
  await Promise.all(started.map((s) => s.stop()));
  await source?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('point-in-time recovery with the backup CLI as archive_command and restore_command', () => {
  let targetTime: string;
  let targetLsn: string;
  let targetXid: string;
  let branchServer: PostgresServer;

  it('takes a base backup with backup run (mode: physical) and verifies it', async () => {
    const result = await run(['run', '--job', JOB]);
    expect(result.code, result.stderr).toBe(0);
    const show = await run(['show', 'latest', '--job', JOB, '--json']);
    const manifest = JSON.parse(show.stdout) as {
      artifacts: Array<{ name: string }>;
      units: Array<{ metadata: Record<string, unknown> }>;
    };
    expect(manifest.artifacts.map((a) => a.name)).toEqual(['base.tar.zst']);
    expect(manifest.units[0]!.metadata).toMatchObject({ timeline: 1, walSegmentSize: 16777216 });
    const verify = await run(['verify', 'latest', '--job', JOB]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/ok\s+base\.tar\.zst\s+\(deep\)/);
  }, 120_000);

  it('archives WAL through wal-push while transactions commit; records a time, an LSN and an xid', async () => {
    await insert(source, 1, 100, 'A');
    const [t] = await source.query<{ t: string }>('select clock_timestamp()::text as t');
    targetTime = t!.t;
    await new Promise((r) => setTimeout(r, 50));
    await insert(source, 101, 200, 'B');
    // The insert position: with the harness's synchronous_commit=off the write position may still be
    // behind the last commit records.
    const [l] = await source.query<{ l: string }>('select pg_current_wal_insert_lsn()::text as l');
    targetLsn = l!.l;
    await insert(source, 201, 300, 'C');
    // One transaction (one statement): its xid is the target, the rows of the next one must not come back.
    const [x] = await source.query<{ x: string }>(
      `insert into events (id, note) select g, 'D' from generate_series(301, 310) g returning pg_current_xact_id()::text as x`,
    );
    targetXid = x!.x;
    await insert(source, 311, 320, 'D2');
    const last = await switchAndWaitArchived(source);
    const archived = (await listArchivedWal(new FsStorage({ path: repo }), JOB)).map((e) => e.file.name);
    expect(archived).toContain(last);
    expect(archived.some((n) => n.endsWith('.backup'))).toBe(true);
  }, 120_000);

  it('keeps PostgreSQL retrying while storage is down and loses nothing once it is back', async () => {
    await insert(source, 401, 450, 'F');
    const dir = join(repo, JOB, 'wal', '00000001');
    await chmod(dir, 0o000);
    try {
      const [before] = await source.query<{ n: string }>(
        'select failed_count::text as n from pg_stat_archiver',
      );
      await insert(source, 451, 500, 'G');
      const [row] = await source.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [s] = await source.query<{ n: string; failed: string | null }>(
          'select failed_count::text as n, last_failed_wal as failed from pg_stat_archiver',
        );
        if (Number(s!.n) > Number(before!.n) && s!.failed === row!.name) break;
        if (Date.now() > deadline) throw new Error('the archiver never reported a failure');
        await new Promise((r) => setTimeout(r, 200));
      }
      const [status] = await source.query<{ ready: boolean }>(
        `select exists (select 1 from pg_ls_archive_statusdir() where name = '${row!.name}.ready') as ready`,
      );
      expect(status!.ready).toBe(true);
    } finally {
      await chmod(dir, 0o700);
    }
    // The server retries on its own (its next attempt, woken by the next segment) and catches up.
    await insert(source, 501, 510, 'H');
    await switchAndWaitArchived(source, 120_000);
  }, 180_000);

  it('restores to a time with --start: exactly the rows committed before it', async () => {
    const dataDir = await postgresDir('at-time');
    const socketDir = await postgresDir('sock-time');
    const port = await freePort();
    pgCtlDirs.push(dataDir);
    const result = await run([
      'pitr-restore',
      '--job',
      JOB,
      '--data-dir',
      dataDir,
      '--target-time',
      targetTime,
      '--no-archive',
      '--start',
      '--port',
      String(port),
      '--socket-dir',
      socketDir,
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain('Server running: in production');
    const conf = await readFile(join(dataDir, 'postgresql.auto.conf'), 'utf8');
    expect(conf).toContain(`recovery_target_time = '${targetTime}'`);
    expect(conf).toContain('wal-fetch %f %p --job pg');
    const psql = (sql: string) =>
      execFileSync(
        join(source.binDir, 'psql'),
        ['-X', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', sql],
        {
          env: { ...process.env, PGPASSWORD: source.password, PGDATABASE: 'postgres' },
        },
      )
        .toString()
        .trim();
    expect(psql('select pg_is_in_recovery()')).toBe('f');
    expect(await ids(async (sql) => [{ ids: psql(sql) }])).toBe(idList(range(1, 100)));
  }, 180_000);

  it('restores to an LSN, then the promoted server archives a new timeline', async () => {
    const dataDir = await postgresDir('at-lsn');
    const result = await run([
      'pitr-restore',
      '--job',
      JOB,
      '--data-dir',
      dataDir,
      '--target-lsn',
      targetLsn,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ job: JOB, timeline: 1, target: 'lsn' });
    branchServer = await startPostgres({
      dataDir,
      password: source.password,
      settings: { archive_mode: 'on', archive_command: archiveCommand },
      startTimeoutMs: 120_000,
    });
    started.push(branchServer);
    for (let i = 0; ; i++) {
      const [r] = await branchServer.query<{ rec: boolean }>('select pg_is_in_recovery() as rec');
      if (!r!.rec) break;
      if (i > 300) throw new Error('the LSN restore never promoted');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await ids((sql) => branchServer.query(sql))).toBe(idList(range(1, 200)));
    const [tl] = await branchServer.query<{ tli: number }>(
      'select timeline_id as tli from pg_control_checkpoint()',
    );
    expect(tl!.tli).toBe(2);
    await insert(branchServer, 1001, 1020, 'E');
    await switchAndWaitArchived(branchServer);
    const archived = (await listArchivedWal(new FsStorage({ path: repo }), JOB)).map((e) => e.file.name);
    expect(archived).toContain('00000002.history');
  }, 180_000);

  it('restores to an xid: the target transaction included, the next one not', async () => {
    const dataDir = await postgresDir('at-xid');
    const result = await run([
      'pitr-restore',
      '--data-dir',
      dataDir,
      '--target-xid',
      targetXid,
      '--target-timeline',
      '1',
      '--no-archive',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const server = await startRecovered(dataDir);
    expect(await ids((sql) => server.query(sql))).toBe(idList(range(1, 310)));
  }, 180_000);

  it('follows the archived history to the newest timeline with --latest', async () => {
    const dataDir = await postgresDir('latest');
    const result = await run(['pitr-restore', '--data-dir', dataDir, '--latest', '--no-archive']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('timeline latest');
    const server = await startRecovered(dataDir);
    // Timeline 2 branched after row 200: rows 201+ of timeline 1 are not on it, E rows are.
    expect(await ids((sql) => server.query(sql))).toBe(idList(range(1, 200), range(1001, 1020)));
  }, 180_000);

  it('replays all of timeline 1, including what was archived after the storage outage', async () => {
    const dataDir = await postgresDir('timeline1');
    const result = await run([
      'pitr-restore',
      '--data-dir',
      dataDir,
      '--latest',
      '--target-timeline',
      '1',
      '--no-archive',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const server = await startRecovered(dataDir);
    expect(await ids((sql) => server.query(sql))).toBe(idList(range(1, 320), range(401, 510)));
    expect(await ids((sql) => source.query(sql))).toBe(idList(range(1, 320), range(401, 510)));
  }, 180_000);

  it('stops the recovery instead of promoting while wal-fetch cannot read the archive, and finishes it once it can', async () => {
    const dataDir = await postgresDir('unreadable');
    const result = await run([
      'pitr-restore',
      '--data-dir',
      dataDir,
      '--latest',
      '--target-timeline',
      '1',
      '--no-archive',
      '--restore-command',
      `${nodeBin} ${bin} --config ${config} wal-fetch %f %p --job ${JOB} --retry-seconds 1`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    // The server's OS user cannot read the archive: a storage outage as wal-fetch sees it. Before,
    // wal-fetch exited 8, PostgreSQL took that for the end of the archive and promoted a cluster
    // missing everything after the base backup.
    const dir = join(repo, JOB, 'wal', '00000001');
    await chmod(dir, 0o000);
    let failure: unknown;
    try {
      failure = await startPostgres({ dataDir, password: source.password, startTimeoutMs: 60_000 }).then(
        (server) => {
          started.push(server);
          return undefined;
        },
        (error: unknown) => error,
      );
    } finally {
      await chmod(dir, 0o700);
    }
    expect(String(failure)).toMatch(/could not restore file .* exit code 208/);
    expect((await stat(join(dataDir, 'recovery.signal'))).isFile()).toBe(true);
    // Storage back: the same data directory recovers to the end of the archive.
    const server = await startRecovered(dataDir);
    expect(await ids((sql) => server.query(sql))).toBe(await ids((sql) => source.query(sql)));
  }, 240_000);

  it('wal-fetch exits 1 for a missing file and wal-push exits 8 for a different file under an archived name', async () => {
    const missing = await run(['wal-fetch', '0000000A.history', join(work, 'nothing')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not in the archive');
    const archived = (await listArchivedWal(new FsStorage({ path: repo }), JOB)).find(
      (e) => e.file.kind === 'segment',
    )!;
    const forged = join(work, archived.file.name);
    await writeFile(forged, Buffer.alloc(16 * 1024 * 1024, 1));
    const conflict = await run(['wal-push', forged]);
    expect(conflict.code).toBe(8);
    expect(conflict.stderr).toContain('STORAGE_CONFLICT');
    const fetched = await run(['wal-fetch', archived.file.name, join(work, 'fetched')]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect((await readFile(join(work, 'fetched'))).equals(await readFile(forged))).toBe(false);
  }, 60_000);

  it('prunes WAL older than the oldest kept base backup together with the sets', async () => {
    // Two more base backups: with keepLast 2 the first one goes, and the WAL before the second one.
    for (let i = 0; i < 2; i++) {
      await insert(source, 2001 + i * 10, 2010 + i * 10, 'P');
      const result = await run(['run', '--job', JOB]);
      expect(result.code, result.stderr).toBe(0);
    }
    await switchAndWaitArchived(source);
    const list = JSON.parse((await run(['list', '--job', JOB, '--json'])).stdout) as Array<{ id: string }>;
    expect(list).toHaveLength(3);
    const oldestKept = JSON.parse((await run(['show', list[1]!.id, '--job', JOB, '--json'])).stdout) as {
      units: Array<{ metadata: { startWalFile: string } }>;
    };
    const cutoff = oldestKept.units[0]!.metadata.startWalFile.slice(8);
    const before = await listArchivedWal(new FsStorage({ path: repo }), JOB);
    expect(before.some((e) => e.file.position !== undefined && e.file.position < cutoff)).toBe(true);

    const pruned = await run(['prune', '--job', JOB, '--json']);
    expect(pruned.code, pruned.stderr).toBe(0);
    const kept = JSON.parse((await run(['list', '--job', JOB, '--json'])).stdout) as Array<{ id: string }>;
    expect(kept.map((k) => k.id)).toEqual(list.slice(0, 2).map((k) => k.id));
    const after = await listArchivedWal(new FsStorage({ path: repo }), JOB);
    expect(after.filter((e) => e.file.position !== undefined && e.file.position < cutoff)).toEqual([]);
    expect(after.map((e) => e.file.name)).toContain('00000002.history');
    const [result] = JSON.parse(pruned.stdout) as Array<{ deletedObjects: number }>;
    expect(result!.deletedObjects).toBeGreaterThan(2 * (before.length - after.length) - 1);

    // The kept base backups still recover timeline 1 to its end.
    const dataDir = await postgresDir('after-prune');
    const restored = await run([
      'pitr-restore',
      '--data-dir',
      dataDir,
      '--latest',
      '--target-timeline',
      '1',
      '--no-archive',
    ]);
    expect(restored.code, restored.stderr).toBe(0);
    const server = await startRecovered(dataDir);
    expect(await ids((sql) => server.query(sql))).toBe(await ids((sql) => source.query(sql)));
  }, 240_000);
});

/**
 * Starts a server on a data directory that pitr-restore prepared (no archiving), registers it for
 * afterAll, and waits until its recovery ended and it was promoted.
 */
async function startRecovered(dataDir: string): Promise<PostgresServer> {
  const server = await startPostgres({ dataDir, password: source.password, startTimeoutMs: 120_000 });
  started.push(server);
  await waitPromoted(server);
  return server;
}

async function waitPromoted(server: PostgresServer): Promise<void> {
  for (let i = 0; ; i++) {
    const [r] = await server.query<{ rec: boolean }>('select pg_is_in_recovery() as rec');
    if (!r!.rec) return;
    if (i > 600) throw new Error('recovery never ended');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
