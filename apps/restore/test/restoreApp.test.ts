// backup-restore end to end: the built binary against a real PostgreSQL and s3rver (S3), scripted with
// flags and --yes, once interactively on a pseudo-terminal (util-linux `script`) through the real
// @inquirer/prompts, and as a drill.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, createStorage, loadConfig } from '@backup/config';
import { type Manifest, resolveCompression, runBackup, type StorageBackend } from '@backup/core';
import {
  type PostgresServer,
  type ProcessResult,
  runProcess,
  type S3rverInstance,
  startPostgres,
  startS3rver,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv } });
}

let pg: PostgresServer;
let s3: S3rverInstance;
let work: string;
let env: NodeJS.ProcessEnv;
let storage: StorageBackend;
const sets: Manifest[] = [];

async function objects(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list('')) keys.push(`${o.key} ${o.size}`);
  return keys.sort();
}

async function databases(): Promise<string[]> {
  return (await pg.query<{ d: string }>('select datname as d from pg_database order by 1')).map((r) => r.d);
}

beforeAll(async () => {
  [pg, s3] = await Promise.all([startPostgres(), startS3rver()]);
  work = await mkdtemp(join(tmpdir(), 'restore-app-'));
  await pg.query('create database outline');
  await pg.query('create database langgraph');
  await pg.query(
    `create table documents (id serial primary key, title text);
     insert into documents (title) select 'doc ' || g from generate_series(1, 1200) g;`,
    'outline',
  );
  await pg.query(
    `create table checkpoints (id int primary key); insert into checkpoints select generate_series(1, 40);`,
    'langgraph',
  );
  await writeFile(
    join(work, 'backup.yaml'),
    `storage:
  type: s3
  bucket: ${s3.bucket}
  prefix: agentic
  endpoint: ${s3.endpoint}
  region: us-east-1
  forcePathStyle: true
jobs:
  - name: postgresql
    engine: postgres
    url: \${DATABASE_URL}
    databases: [outline, langgraph]
    globals: false
`,
  );
  env = {
    ...process.env,
    BACKUP_CONFIG: join(work, 'backup.yaml'),
    DATABASE_URL: pg.url('postgres'),
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LOG_LEVEL: 'warn',
  };
  // The in-process storage below reads credentials through the AWS SDK's chain (process.env).
  process.env['AWS_ACCESS_KEY_ID'] = s3.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = s3.secretAccessKey;
  const { config } = await loadConfig({ env });
  storage = createStorage(config.storage);
  for (const day of ['2026-01-20T02:00:00Z', '2026-01-21T02:00:00Z']) {
    await pg.query(`insert into documents (title) values ('added on ${day}')`, 'outline');
    sets.push(
      await runBackup({
        job: 'postgresql',
        engine: createEngine(config.jobs[0]!, env),
        storage,
        compression: resolveCompression(config.compression),
        clock: () => new Date(day),
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('scripted with flags', () => {
  it('restores latest with --yes --json: data identical, checks compared with the backup counts', async () => {
    const result = await run([
      'latest',
      '--job',
      'postgresql',
      '--database',
      'outline',
      '--into',
      'outline_copy',
      '--yes',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as {
      plan: { setId: string };
      report: {
        ok: boolean;
        units: Array<{ unit: string; target: string; check: { ok: boolean; compared: boolean } }>;
      };
    };
    expect(outcome.plan.setId).toBe('20260121-020000');
    expect(outcome.report.units).toEqual([
      expect.objectContaining({
        unit: 'outline',
        target: 'outline_copy',
        check: expect.objectContaining({ ok: true, compared: true }),
      }),
    ]);
    expect(await pg.rowDigests('outline_copy')).toEqual(await pg.rowDigests('outline'));
    expect(result.stdout + result.stderr).not.toContain(pg.password);
  });

  it('prints the plan of an --as-of dry run and changes nothing', async () => {
    const before = { objects: await objects(), databases: await databases() };
    const result = await run([
      '--job',
      'postgresql',
      '--as-of',
      '2026-01-20T12:00:00Z',
      '--force',
      '--dry-run',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Restore plan (dry run: nothing is changed)');
    expect(result.stdout).toContain('postgresql/20260120-020000');
    expect(result.stdout).toMatch(/outline -> outline\s+OVERWRITE/);
    expect(result.stdout).toMatch(/langgraph -> langgraph\s+OVERWRITE/);
    expect(result.stdout).toContain('into job postgresql-pre-restore first');
    expect(result.stdout).toContain(`sha256 ${sets[0]!.artifacts[0]!.storedSha256}`);
    expect(result.stdout).toMatch(/estimate\s+~\d+s/);
    expect(await objects()).toEqual(before.objects);
    expect(await databases()).toEqual(before.databases);
  });

  it('off a terminal, names the flag a question needs; refuses a non-empty target without --force (exit 6)', async () => {
    const noJob = await run(['latest', '--yes']);
    expect(noJob.code).toBe(2);
    expect(noJob.stderr).toContain('--job NAME (configured jobs: postgresql)');
    const noSet = await run(['--job', 'postgresql', '--yes']);
    expect(noSet.code).toBe(2);
    expect(noSet.stderr).toContain('--as-of');
    const noYes = await run(['latest', '--job', 'postgresql', '--database', 'outline', '--into', 'never']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const refused = await run(['latest', '--job', 'postgresql', '--database', 'outline', '--yes']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('TARGET_NOT_EMPTY');
    expect(await databases()).not.toContain('never');
  });

  it('--force takes a safety backup first; restoring it (job <job>-pre-restore) undoes the restore', async () => {
    await pg.query(
      `insert into documents (title) select 'local ' || g from generate_series(1, 5) g`,
      'outline_copy',
    );
    const before = await pg.rowDigests('outline_copy');
    const result = await run([
      '20260120-020000',
      '--job',
      'postgresql',
      '-d',
      'outline',
      '--into',
      'outline_copy',
      '--force',
      '--yes',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const safety = /safety backup\s+postgresql-pre-restore\/(\d{8}-\d{6}) \(outline_copy\)/.exec(
      result.stdout,
    );
    expect(safety, result.stdout).not.toBeNull();
    expect(result.stdout).toContain(
      `undo with      backup restore ${safety![1]} --job postgresql-pre-restore --force`,
    );
    expect(result.stdout).toMatch(
      /restored\s+outline -> outline_copy\s+\(overwrite, .*check ok: 1 tables, 1201 rows/,
    );
    const undo = await run([
      safety![1]!,
      '--job',
      'postgresql-pre-restore',
      '--into',
      'outline_undo',
      '--yes',
    ]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(await pg.rowDigests('outline_undo')).toEqual(before);
  });
});

describe('on a terminal', () => {
  it('asks for the job, the set, the units and a confirmation with @inquirer/prompts', async () => {
    const command = [process.execPath, BIN, '--into', 'tty_copy'].map((a) => `'${a}'`).join(' ');
    const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...env, TERM: 'xterm', COLUMNS: '200', LINES: '50' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout!.on('data', (c: Buffer) => {
      screen += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 20_000;
      while (!screen.includes(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}"; screen:\n${screen}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 150));
    };
    const type = (keys: string) => child.stdin!.write(keys);
    await waitFor('Job to restore');
    type('\r');
    await waitFor('Backup set of postgresql');
    type('\x1b[B\r'); // the second newest set: 20260120-020000
    await waitFor('Units of postgresql/20260120-020000');
    type('\x1b[B '); // cursor to langgraph, uncheck it: only outline stays
    type('\r');
    await waitFor('Restore 1 unit(s) of postgresql/20260120-020000');
    type('y\r');
    expect(await exited, screen).toBe(0);
    expect(screen).toMatch(/restored\s+outline -> tty_copy\s+\(create/);
    expect(await pg.query<{ n: string }>('select count(*)::text as n from documents', 'tty_copy')).toEqual([
      { n: '1201' },
    ]);
    expect(await databases()).not.toContain('langgraph_copy');
  });
});

describe('drill', () => {
  it('drills the latest set on a drill server, stores the report next to the set and cleans up', async () => {
    const result = await run(['drill', '--job', 'postgresql', '--json'], {
      BACKUP_DRILL_TARGET: pg.url('postgres'),
    });
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as {
      key: string;
      report: { ok: boolean; setId: string; rtoSeconds: number };
    };
    expect(outcome.report).toMatchObject({ ok: true, setId: '20260121-020000' });
    expect(outcome.report.rtoSeconds).toBeGreaterThan(0);
    expect(outcome.key).toMatch(/^postgresql\/20260121-020000\/drill-\d{8}-\d{6}\.json$/);
    expect(await objects()).toContainEqual(expect.stringMatching(/^postgresql\/20260121-020000\/drill-/));
    expect((await databases()).filter((d) => d.startsWith('drill_'))).toEqual([]);
    const noTarget = await run(['drill', '--job', 'postgresql']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('BACKUP_DRILL_TARGET');
  });
});
