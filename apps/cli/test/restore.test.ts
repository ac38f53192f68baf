// `backup restore` and `backup drill` (the shared flow of @backup/restore) end to end: the built CLI
// against a real PostgreSQL, a directory repository and a real Pushgateway.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, loadConfig } from '@backup/config';
import { FsStorage, type Manifest, resolveCompression, runBackup } from '@backup/core';
import {
  type PostgresServer,
  type ProcessResult,
  type PushgatewayServer,
  runProcess,
  startPostgres,
  startPushgateway,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv } });
}

let pg: PostgresServer;
let pushgateway: PushgatewayServer;
let work: string;
let repo: string;
let env: NodeJS.ProcessEnv;
const sets: Manifest[] = [];

async function files(): Promise<string[]> {
  const storage = new FsStorage({ path: repo });
  const keys: string[] = [];
  for await (const o of storage.list('')) keys.push(`${o.key} ${o.size}`);
  return keys.sort();
}

async function databases(): Promise<string[]> {
  return (await pg.query<{ d: string }>('select datname as d from pg_database order by 1')).map((r) => r.d);
}

async function count(database: string): Promise<number> {
  const [row] = await pg.query<{ n: string }>('select count(*)::text as n from tickets', database);
  return Number(row!.n);
}

beforeAll(async () => {
  [pg, pushgateway] = await Promise.all([startPostgres(), startPushgateway()]);
  work = await mkdtemp(join(tmpdir(), 'cli-restore-'));
  repo = join(work, 'repo');
  await pg.query('create database app');
  await pg.query('create table tickets (id int primary key, body text)', 'app');
  await writeFile(
    join(work, 'backup.yaml'),
    `storage: { type: fs, path: ${repo} }
jobs:
  - { name: pg, engine: postgres, url: "\${DATABASE_URL}", databases: [app], globals: false }
`,
  );
  env = {
    ...process.env,
    BACKUP_CONFIG: join(work, 'backup.yaml'),
    DATABASE_URL: pg.url('postgres'),
    LOG_LEVEL: 'warn',
  };
  const { config } = await loadConfig({ env });
  // Three days: 100, 200, 300 tickets.
  for (const [i, day] of ['2026-01-19T02:00:00Z', '2026-01-20T02:00:00Z', '2026-01-21T02:00:00Z'].entries()) {
    await pg.query(
      `insert into tickets select g, 'ticket ' || g from generate_series(${i * 100 + 1}, ${(i + 1) * 100}) g`,
      'app',
    );
    sets.push(
      await runBackup({
        job: 'pg',
        engine: createEngine(config.jobs[0]!, env),
        storage: new FsStorage({ path: repo }),
        compression: resolveCompression(config.compression),
        clock: () => new Date(day),
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all([pg?.stop(), pushgateway?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup restore', () => {
  it('--as-of picks the newest set at or before the time; --json keeps the results list', async () => {
    const result = await run([
      'restore',
      '--job',
      'pg',
      '--as-of',
      '2026-01-20T23:00:00Z',
      '--into',
      'app_asof',
      '--yes',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      setId: string;
      results: Array<{ unit: string; target: string }>;
      report: { ok: boolean };
    };
    expect(json.setId).toBe('20260120-020000');
    expect(json.results).toEqual([expect.objectContaining({ unit: 'app', target: 'app_asof' })]);
    expect(json.report.ok).toBe(true);
    expect(await count('app_asof')).toBe(200);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = { files: await files(), databases: await databases(), rows: await count('app') };
    const result = await run(['restore', '20260119-020000', '--job', 'pg', '--force', '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Restore plan (dry run: nothing is changed)');
    expect(result.stdout).toMatch(/app -> app\s+OVERWRITE\s+holds/);
    expect(result.stdout).toContain('safety    backup of app into job pg-pre-restore first');
    expect(result.stdout).toContain(
      'verify    every artifact is downloaded and checked before the target is touched',
    );
    expect(await files()).toEqual(before.files);
    expect(await databases()).toEqual(before.databases);
    expect(await count('app')).toBe(before.rows);
  });

  it('--force takes a safety backup that `restore --job pg-pre-restore` puts back; --no-safety-backup takes none', async () => {
    await pg.query(`insert into tickets values (1000, 'written after the last backup')`, 'app');
    const before = await pg.rowDigests('app');
    const forced = await run(['restore', '20260119-020000', '--job', 'pg', '--force', '--yes']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await count('app')).toBe(100);
    const id = /safety backup\s+pg-pre-restore\/(\d{8}-\d{6})/.exec(forced.stdout)?.[1];
    expect(id, forced.stdout).toBeDefined();
    const undo = await run(['restore', id!, '--job', 'pg-pre-restore', '--force', '--yes']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(await pg.rowDigests('app')).toEqual(before);

    const safetySets = (await files()).filter(
      (f) => f.startsWith('pg-pre-restore/') && f.includes('manifest.json'),
    );
    const unsafe = await run(['restore', 'latest', '--job', 'pg', '--force', '--no-safety-backup', '--yes']);
    expect(unsafe.code, unsafe.stderr).toBe(0);
    expect(unsafe.stderr).toContain('safety    NONE: skipped with --no-safety-backup');
    // (the undo overwrote app too, so it took a safety backup of its own, into the same safety job)
    expect(safetySets).toHaveLength(2);
    expect(
      (await files()).filter((f) => f.startsWith('pg-pre-restore/') && f.includes('manifest.json')),
    ).toEqual(safetySets);
    expect(await count('app')).toBe(300);
  });

  it('detects a corrupted artifact before touching the target (exit 4, no safety backup, data unchanged)', async () => {
    const artifact = sets[1]!.artifacts[0]!;
    const path = join(repo, artifact.key);
    const original = await readFile(path);
    const corrupt = Buffer.from(original);
    corrupt[Math.floor(corrupt.length / 2)]! ^= 0xff;
    await writeFile(path, corrupt);
    try {
      const before = { digests: await pg.rowDigests('app'), files: await files() };
      const result = await run(['restore', sets[1]!.id, '--job', 'pg', '--force', '--yes']);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('CHECKSUM_MISMATCH');
      expect(result.stderr).toContain('the target was not touched');
      expect(await pg.rowDigests('app')).toEqual(before.digests);
      expect(await files()).toEqual(before.files);
    } finally {
      await writeFile(path, original);
    }
  });
});

describe('backup drill', () => {
  it('drills the latest set, stores the report next to it and pushes the drill metrics', async () => {
    const result = await run(
      ['drill', '--job', 'pg', '--target', pg.url('postgres'), '--prefix', 'cli_drill_'],
      {
        BACKUP_PUSHGATEWAY_URL: pushgateway.url,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^drill ok\s+pg\/20260121-020000\s+RTO \d+s/m);
    expect(result.stdout).toMatch(/^report\s+pg\/20260121-020000\/drill-\d{8}-\d{6}\.json$/m);
    expect((await databases()).filter((d) => d.startsWith('cli_drill_'))).toEqual([]);
    const metrics = await (await fetch(`${pushgateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^backup_restore_drill_status\{drill="restore",engine="postgres",instance="",job="pg"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^backup_restore_drill_duration_seconds\{drill="restore",engine="postgres",instance="",job="pg"\} \d/m,
    );
  });

  it('fails with the drill failure code when the latest set is corrupt, and still cleans up', async () => {
    const artifact = sets[2]!.artifacts[0]!;
    const path = join(repo, artifact.key);
    const original = await readFile(path);
    const corrupt = Buffer.from(original);
    corrupt[Math.floor(corrupt.length / 2)]! ^= 0xff;
    await writeFile(path, corrupt);
    try {
      const result = await run(['drill', '--job', 'pg', '--target', pg.url('postgres')]);
      expect(result.code).toBe(4);
      expect(result.stdout).toContain('DRILL FAILED');
      expect(result.stderr).toContain('CHECKSUM_MISMATCH');
      expect((await databases()).filter((d) => d.startsWith('drill_'))).toEqual([]);
    } finally {
      await writeFile(path, original);
    }
  });
});
