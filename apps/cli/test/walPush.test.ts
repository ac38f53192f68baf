import { spawn } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsStorage } from '@backup/core';
import { listArchivedWal, readSpoolMarker } from '@backup/postgres';
import {
  freePort,
  type PostgresServer,
  type ProcessResult,
  runProcess,
  startPostgres,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWalPushArgv, walCommandOf } from '../src/wal/walArgv.js';
import { walTargetFingerprint } from '../src/wal/walTarget.js';

// `backup wal-push` look-ahead through the built CLI, in a directory laid out as a data directory
// (pg_wal/<segment>, pg_wal/archive_status/<segment>.ready) with real segments, and `backup
// wal-fetch`'s exit status when the storage cannot be reached.

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

type Result = ProcessResult;

function run(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return runProcess(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { LOG_LEVEL: 'info', ...options.env },
  });
}

describe('wal-push argument parsing for the spool-marker check', () => {
  it('finds the command after the global --config and parses what commander accepts', () => {
    expect(walCommandOf(['--config', 'x.yaml', 'wal-push', 'pg_wal/1'])).toBe('wal-push');
    expect(walCommandOf(['-c', 'x.yaml', 'wal-fetch', 'a', 'b'])).toBe('wal-fetch');
    expect(walCommandOf(['--config=x.yaml', 'run'])).toBeUndefined();
    expect(walCommandOf([])).toBeUndefined();
    expect(
      parseWalPushArgv(['--config', 'c.yaml', 'wal-push', 'pg_wal/X', '--job', 'pg', '--parallel=3']),
    ).toEqual({ path: 'pg_wal/X', config: 'c.yaml', job: 'pg', spoolDir: undefined });
    expect(parseWalPushArgv(['wal-push', 'pg_wal/X', '-j', 'pg', '-c', 'c.yaml', '--spool-dir=/s'])).toEqual({
      path: 'pg_wal/X',
      config: 'c.yaml',
      job: 'pg',
      spoolDir: '/s',
    });
    // Anything else goes to the full parser, which reports it.
    for (const argv of [
      ['wal-push', 'pg_wal/X', '--help'],
      ['wal-push'],
      ['wal-push', 'a', 'b'],
      ['wal-push', 'a', '--job'],
      ['wal-push', 'a', '--parallel', '0'],
      ['wal-push', 'a', '--ahead', '65'],
      ['wal-push', 'a', '--job', 'x', '--job', 'y'],
      ['wal-fetch', 'a', 'b'],
    ]) {
      expect(parseWalPushArgv(argv), argv.join(' ')).toBeUndefined();
    }
  });
});

describe('backup wal-push: parallel push of ready segments', () => {
  let pg: PostgresServer;
  let work: string;
  let dataDir: string;
  let config: string;
  let names: string[];
  let storage: FsStorage;

  beforeAll(async () => {
    pg = await startPostgres();
    work = await mkdtemp(join(tmpdir(), 'cli-walpush-'));
    dataDir = join(work, 'data');
    await mkdir(join(dataDir, 'pg_wal', 'archive_status'), { recursive: true });
    config = join(work, 'backup.yaml');
    await writeFile(
      config,
      `storage:\n  type: fs\n  path: ${join(work, 'repo')}\ncompression: zstd\njobs:\n` +
        `  - name: pg\n    engine: postgres\n    mode: physical\n    url: ${pg.url()}\n`,
    );
    storage = new FsStorage({ path: join(work, 'repo') });
    spool = join(dataDir, 'pg_wal', 'backup_wal_push');
    await pg.query('create table t (id int, v text)');
    names = [];
    for (let i = 0; i < 6; i++) {
      await pg.query(`insert into t select g, md5(g::text) from generate_series(1, ${4000 + i}) g`);
      const [row] = await pg.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
      await copyFile(join(pg.dataDir, 'pg_wal', row!.name), join(dataDir, 'pg_wal', row!.name));
      // names[5] becomes ready in the last test only.
      if (i < 5) await writeFile(join(dataDir, 'pg_wal', 'archive_status', `${row!.name}.ready`), '');
      names.push(row!.name);
    }
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const push = (name: string, extra: string[] = []) =>
    run(['--config', config, 'wal-push', `pg_wal/${name}`, '--job', 'pg', ...extra], { cwd: dataDir });
  const done = (name: string) =>
    writeFile(join(dataDir, 'pg_wal', 'archive_status', `${name}.done`), '').then(() =>
      rm(join(dataDir, 'pg_wal', 'archive_status', `${name}.ready`)),
    );
  let spool: string;

  it('pushes the requested segment and the next ready ones; the later calls succeed from their markers', async () => {
    const first = await push(names[0]!, ['--parallel', '2', '--ahead', '2', '--no-helper']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('WAL files pushed ahead');
    expect((await listArchivedWal(storage, 'pg')).map((e) => e.file.name).sort()).toEqual(names.slice(0, 3));
    expect((await readdir(spool)).sort()).toEqual([`${names[1]}.pushed`, `${names[2]}.pushed`]);
    const marker = await readSpoolMarker(spool, names[1]!);
    expect(marker!.target).toBe(
      await walTargetFingerprint({ configPath: config, env: process.env, job: 'pg' }),
    );
    await done(names[0]!);

    // The server's call for names[1]: answered from the marker, without loading the CLI (no log
    // line at all), and the marker is consumed.
    const second = await push(names[1]!, ['--ahead', '2', '--no-helper']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    expect(await readSpoolMarker(spool, names[1]!)).toBeUndefined();
    await done(names[1]!);
  }, 60_000);

  it('does not trust a marker once the file changed: the full push refuses different contents (exit 8)', async () => {
    const path = join(dataDir, 'pg_wal', names[2]!);
    const original = await readFile(path);
    const forged = Buffer.from(original);
    forged[100] = forged[100]! ^ 0xff;
    await writeFile(path, forged);
    try {
      const result = await push(names[2]!, ['--ahead', '0']);
      expect(result.code).toBe(8);
      expect(result.stderr).toContain('STORAGE_CONFLICT');
    } finally {
      await writeFile(path, original);
    }
  }, 60_000);

  it('does not trust a marker written under another config: the full push runs (and finds it archived)', async () => {
    expect(await readSpoolMarker(spool, names[2]!)).toBeDefined();
    await appendFile(config, '# edited\n');
    const result = await push(names[2]!, ['--ahead', '0']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('already archived with identical contents');
    expect(await readSpoolMarker(spool, names[2]!)).toBeUndefined();
    // --ahead 0 pushes nothing ahead.
    expect((await listArchivedWal(storage, 'pg')).map((e) => e.file.name)).not.toContain(names[3]);
    await done(names[2]!);
  }, 60_000);

  it('starts an archive helper that pushes the ready files in the background; the calls for them wait for its markers', async () => {
    // names[3] and names[4] are still ready; the call for names[3] starts the helper (which pushes
    // names[4]) and pushes names[3] itself.
    const third = await push(names[3]!);
    expect(third.code, third.stderr).toBe(0);
    await done(names[3]!);
    // Right away, without waiting for the helper: the call waits for the helper's marker.
    const fourth = await push(names[4]!);
    expect(fourth.code, fourth.stderr).toBe(0);
    expect(fourth.stderr).toBe('');
    expect((await listArchivedWal(storage, 'pg')).map((e) => e.file.name)).toContain(names[4]);
    await done(names[4]!);
    // The helper exits once nothing has waited for 3 s, and removes its lock.
    const deadline = Date.now() + 20_000;
    while ((await readdir(spool)).includes('helper.pid')) {
      if (Date.now() > deadline) throw new Error('the archive helper did not exit');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await readdir(spool)).filter((e) => e.endsWith('.pushed'))).toEqual([]);
  }, 60_000);

  it('stops a helper that pushes for another fingerprint (config, job or environment changed)', async () => {
    await writeFile(join(dataDir, 'pg_wal', 'archive_status', `${names[5]}.ready`), '');
    // A stand-in for a helper started under an earlier config: a live process holding the lock.
    const old = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      old.once('exit', (_code, signal) => resolve(signal)),
    );
    await writeFile(join(spool, 'helper.pid'), `${old.pid}\nv1:an-earlier-config\n`);
    try {
      // Its lock does not make this call wait: the full push runs and stops the old helper.
      const result = await push(names[5]!);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('WAL file archived');
      expect(await exited).toBe('SIGTERM');
    } finally {
      old.kill();
      await rm(join(spool, 'helper.pid'), { force: true });
    }
    expect((await listArchivedWal(storage, 'pg')).map((e) => e.file.name)).toContain(names[5]);
  }, 60_000);

  it('rejects a bad --parallel or --ahead with a usage error naming it', async () => {
    for (const [flag, value] of [
      ['--parallel', 'lots'],
      ['--parallel', '0'],
      ['--ahead', '65'],
    ] as const) {
      const result = await push(names[0]!, [flag, value]);
      expect(result.code, `${flag} ${value}`).toBe(2);
      expect(result.stderr).toContain(flag);
    }
  }, 30_000);
});

describe('backup wal-fetch when the storage cannot be reached', () => {
  let work: string;
  let config: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-walfetch-'));
    config = join(work, 'backup.yaml');
    const port = await freePort();
    await writeFile(
      config,
      `storage:\n  type: s3\n  bucket: wal\n  prefix: x\n  endpoint: http://127.0.0.1:${port}\n  region: us-east-1\n  forcePathStyle: true\n` +
        'jobs:\n  - name: pg\n    engine: postgres\n    mode: physical\n    url: postgres://127.0.0.1/postgres\n',
    );
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const fetch = (extra: string[]) =>
    run(['--config', config, 'wal-fetch', '000000010000000000000001', join(work, 'RECOVERYXLOG'), ...extra], {
      env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', LOG_LEVEL: 'warn' },
    });

  it('retries for --retry-seconds, then exits 208 (above 125: PostgreSQL stops the recovery instead of promoting)', async () => {
    const result = await fetch(['--retry-seconds', '2']);
    expect(result.code).toBe(208);
    expect(result.stderr).toContain('STORAGE_UNREACHABLE');
    expect(result.stderr).toContain('retrying');
    expect(result.ms).toBeGreaterThanOrEqual(2000);
  }, 60_000);

  it('exits 8 with --non-fatal, and 202 for a bad --retry-seconds', async () => {
    const nonFatal = await fetch(['--retry-seconds', '0', '--non-fatal']);
    expect(nonFatal.code).toBe(8);
    const bad = await fetch(['--retry-seconds', 'soon']);
    expect(bad.code).toBe(202);
    expect(bad.stderr).toContain('--retry-seconds');
  }, 60_000);

  it('exits 202 for an unknown flag or a missing argument (a restore_command typo stops recovery), 2 with --non-fatal', async () => {
    const env = { env: { LOG_LEVEL: 'warn' } };
    expect((await fetch(['--bogus'])).code).toBe(202);
    expect((await run(['--config', config, 'wal-fetch', '000000010000000000000001'], env)).code).toBe(202);
    expect((await fetch(['--bogus', '--non-fatal'])).code).toBe(2);
    expect((await run(['--config', config, 'wal-push', '--bogus', 'x'], env)).code).toBe(2);
  }, 60_000);
});
