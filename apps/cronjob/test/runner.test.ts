// runCronjob in-process against a real PostgreSQL and a directory store: argument handling, job
// selection, concurrency, exit codes, summary lines, metrics (textfile and a capturing HTTP server
// standing in for the Pushgateway), prune and its dry run, and an interrupted run.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, jobLockKey, type Logger } from '@backup/core';
import { freePort, type PostgresServer, startPostgres } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CronjobInterrupt, type RunCronjobOptions, runCronjob } from '../src/index.js';

interface LogLine {
  level: string;
  msg: string | undefined;
  obj: Record<string, unknown>;
}

function memoryLogger(onLine?: (line: LogLine) => void): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      const line = { level, msg, obj: obj as Record<string, unknown> };
      lines.push(line);
      onLine?.(line);
    };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function textBuffer(): { write(s: string): boolean; text: () => string } {
  let buffer = '';
  return {
    write(s: string) {
      buffer += s;
      return true;
    },
    text: () => buffer,
  };
}

/** Samples of a Prometheus text exposition, as `name{k="v",...}` -> value. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const found = samples(text).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples match ${name}`);
  return found[0]?.value;
}

const at = (iso: string) => () => new Date(iso);

let pg: PostgresServer;
let work: string;
let capture: Server;
let captureUrl: string;
const pushes: Array<{ method: string; url: string; body: string }> = [];

beforeAll(async () => {
  pg = await startPostgres();
  work = await mkdtemp(join(tmpdir(), 'cronjob-runner-'));
  await pg.query('create database app');
  await pg.query(
    `create table notes (id serial primary key, body text);
     insert into notes (body) select 'note ' || i from generate_series(1, 2000) i;`,
    'app',
  );
  capture = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      pushes.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  captureUrl = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => capture?.close(resolve));
  await pg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

let configs = 0;

/** A fresh config (and store) with jobs `first` (good) and `second` (wrong password). */
async function makeConfig(options: { retention?: string; pushgateway?: string } = {}) {
  const dir = join(work, `c${++configs}`);
  await mkdir(join(dir, 'metrics'), { recursive: true });
  const textfile = join(dir, 'metrics', 'backup.prom');
  const path = join(dir, 'backup.yaml');
  await writeFile(
    path,
    `storage:
  type: fs
  path: ./store
compression: zstd
retention: ${options.retention ?? '{ keepLast: 2 }'}
metrics:
  textfile: ${textfile}
${options.pushgateway ? `  pushgateway: ${options.pushgateway}\n` : ''}jobs:
  - name: first
    engine: postgres
    url: \${DATABASE_URL}
    databases: [app]
    globals: false
  - name: second
    engine: postgres
    url: \${BAD_URL}
    databases: [app]
    globals: false
`,
  );
  const storage = new FsStorage({ path: join(dir, 'store') });
  return { path, textfile, storage, catalog: new Catalog(storage) };
}

function baseEnv(config: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    BACKUP_CONFIG: config,
    DATABASE_URL: pg.url('postgres'),
    BAD_URL: pg.url('postgres').replace(encodeURIComponent(pg.password), 'wrong-password'),
  };
}

async function run(options: RunCronjobOptions) {
  const stdout = textBuffer();
  const stderr = textBuffer();
  const { logger, lines } = memoryLogger();
  const result = await runCronjob({ logger, stdout, stderr, ...options });
  return { ...result, stdout: stdout.text(), stderr: stderr.text(), lines };
}

describe('runCronjob', () => {
  it('argument errors: unknown job exits 3, bad --concurrency or option exits 2, --help exits 0', async () => {
    const { path } = await makeConfig();
    const env = baseEnv(path);
    const unknown = await run({ argv: ['--job', 'nope'], env });
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toContain('error [NOT_FOUND]: Unknown job "nope"; configured jobs: first, second');
    expect(unknown.jobs).toEqual([]);

    const fromEnv = await run({ argv: [], env: { ...env, BACKUP_JOBS: 'first, nope' } });
    expect(fromEnv.exitCode).toBe(3);

    for (const argv of [['--concurrency', '0'], ['--concurrency', 'two'], ['--bogus'], ['extra']]) {
      const bad = await run({ argv, env });
      expect(bad.exitCode, argv.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(/^error \[CONFIG_INVALID\]: /);
    }

    const help = await run({ argv: ['--help'], env });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--dry-run-prune');

    const noConfig = await run({ argv: ['--config', join(work, 'missing.yaml')], env });
    expect(noConfig.exitCode).toBe(2);
    expect(noConfig.stderr).toContain('Cannot read config file');
  });

  it('BACKUP_JOBS selects the jobs; --job wins over it', async () => {
    const { path, catalog } = await makeConfig();
    const env = { ...baseEnv(path), BACKUP_JOBS: 'first' };
    const first = await run({ argv: [], env, clock: at('2026-02-01T02:00:00Z') });
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.jobs.map((j) => j.job)).toEqual(['first']);
    expect(first.stdout).toMatch(
      /^ok {6}first {2}set=20260201-020000 stored=\d+B verify=deep pruned=0 kept=1 duration=\d+\.\ds\n$/,
    );
    expect((await catalog.listBackups('first')).map((m) => m.id)).toEqual(['20260201-020000']);

    const second = await run({ argv: ['--job', 'second'], env, clock: at('2026-02-01T02:00:00Z') });
    expect(second.jobs.map((j) => j.job)).toEqual(['second']);
    expect(second.exitCode).toBe(9);
  });

  it('two jobs at --concurrency 2: exit code of the first failure, a line per job, metrics per job', async () => {
    const { path, textfile, storage, catalog } = await makeConfig({
      pushgateway: 'http://127.0.0.1:9/unused',
    });
    pushes.length = 0;
    const env = { ...baseEnv(path), BACKUP_PUSHGATEWAY_URL: captureUrl };
    const result = await run({ argv: ['--concurrency', '2'], env, clock: at('2026-02-02T02:00:00Z') });
    expect(result.exitCode).toBe(9); // SOURCE_FAILED of job "second"
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ok {6}first {2}set=20260202-020000 stored=\d+B verify=deep .*metrics=pushed/);
    expect(lines[1]).toMatch(/^FAILED {2}second {2}code=SOURCE_FAILED step=backup metrics=pushed duration=/);
    expect(lines[1]).toContain('message="');
    expect(lines[1]).not.toContain('wrong-password');
    expect(result.jobs[1]?.error?.code).toBe('SOURCE_FAILED');
    // Both jobs ran at the same time: the second took its lock before the first released its own.
    const index = (msg: string, job: string) =>
      result.lines.findIndex((l) => l.msg === msg && l.obj['job'] === job);
    expect(index('job lock acquired', 'second')).toBeGreaterThanOrEqual(0);
    expect(index('job lock acquired', 'second')).toBeLessThan(index('job lock released', 'first'));
    expect(index('job lock acquired', 'first')).toBeLessThan(index('job lock released', 'second'));
    expect(await catalog.listBackups('second')).toEqual([]);
    expect(await storage.head(jobLockKey('first'))).toBeUndefined();
    expect(await storage.head(jobLockKey('second'))).toBeUndefined();

    // BACKUP_PUSHGATEWAY_URL wins over metrics.pushgateway; one PUT per job group, own series only.
    expect(pushes.map((p) => `${p.method} ${p.url}`).sort()).toEqual([
      'PUT /metrics/job/first',
      'PUT /metrics/job/second',
    ]);
    const firstPush = pushes.find((p) => p.url.endsWith('/first'))!.body;
    const secondPush = pushes.find((p) => p.url.endsWith('/second'))!.body;
    const t = Date.parse('2026-02-02T02:00:00Z') / 1000;
    expect(value(firstPush, 'backup_status', { job: 'first' })).toBe(1);
    expect(value(firstPush, 'backup_last_success_timestamp_seconds', { job: 'first' })).toBe(t);
    expect(value(firstPush, 'backup_verify_status', { job: 'first' })).toBe(1);
    expect(value(firstPush, 'backup_retained_sets', { job: 'first' })).toBe(1);
    expect(value(firstPush, 'backup_size_bytes', { job: 'first', unit: 'app' })).toBeGreaterThan(0);
    expect(samples(firstPush).some((s) => s.labels['job'] === 'second')).toBe(false);
    expect(value(secondPush, 'backup_status', { job: 'second' })).toBe(0);
    expect(value(secondPush, 'backup_last_success_timestamp_seconds', { job: 'second' })).toBeUndefined();

    const prom = await readFile(textfile, 'utf8');
    expect(value(prom, 'backup_status', { job: 'first', engine: 'postgres' })).toBe(1);
    expect(value(prom, 'backup_status', { job: 'second', engine: 'postgres' })).toBe(0);
  });

  it('a failed push is a warning only: exit 0, "metrics=push-failed"', async () => {
    const { path } = await makeConfig();
    const env = { ...baseEnv(path), BACKUP_PUSHGATEWAY_URL: `http://127.0.0.1:${await freePort()}` };
    const result = await run({ argv: ['--job', 'first'], env, clock: at('2026-02-03T02:00:00Z') });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ok {6}first .* metrics=push-failed /);
    expect(result.lines.some((l) => l.level === 'warn' && l.msg?.startsWith('metrics push failed'))).toBe(
      true,
    );
  });

  it('prunes to the policy after each good run; --dry-run-prune deletes nothing', async () => {
    const { path, catalog } = await makeConfig({ retention: '{ keepLast: 2 }' });
    const env = baseEnv(path);
    for (const day of ['01', '02', '03']) {
      const r = await run({ argv: ['--job', 'first'], env, clock: at(`2026-03-${day}T02:00:00Z`) });
      expect(r.exitCode, r.stdout).toBe(0);
    }
    expect((await catalog.listBackups('first')).map((m) => m.id)).toEqual([
      '20260303-020000',
      '20260302-020000',
    ]);
    // A failed backup never prunes: the job "second" has nothing, and "first" is untouched by it.
    const dry = await run({
      argv: ['--job', 'first', '--dry-run-prune'],
      env,
      clock: at('2026-03-04T02:00:00Z'),
    });
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/would-prune=1 kept=2/);
    expect(dry.jobs[0]?.pruned).toEqual(['20260302-020000']);
    expect((await catalog.listBackups('first')).map((m) => m.id)).toEqual([
      '20260304-020000',
      '20260303-020000',
      '20260302-020000',
    ]);
  });

  it('SIGTERM during a backup: 143, no manifest, lock released, later jobs not started, failures recorded', async () => {
    const { path, textfile, storage, catalog } = await makeConfig();
    const env = baseEnv(path);
    const controller = new AbortController();
    const { logger, lines } = memoryLogger((line) => {
      if (line.msg === 'backup started' && line.obj['job'] === 'first') {
        controller.abort(new CronjobInterrupt('SIGTERM'));
      }
    });
    const stdout = textBuffer();
    const result = await runCronjob({
      argv: [],
      env,
      logger,
      stdout,
      stderr: textBuffer(),
      signal: controller.signal,
      clock: at('2026-04-01T02:00:00Z'),
    });
    expect(result.exitCode).toBe(143);
    expect(result.jobs.map((j) => [j.job, j.error?.code, j.error?.step])).toEqual([
      ['first', 'ABORTED', 'backup'],
      ['second', 'ABORTED', 'not-started'],
    ]);
    expect(stdout.text()).toMatch(/^FAILED {2}first {2}code=ABORTED step=backup /m);
    expect(stdout.text()).toMatch(/^FAILED {2}second {2}code=ABORTED step=not-started /m);
    expect(lines.some((l) => l.msg?.includes('was not started'))).toBe(true);
    expect(await catalog.listSets('first')).toEqual([]);
    expect(await storage.head(jobLockKey('first'))).toBeUndefined();
    const prom = await readFile(textfile, 'utf8');
    expect(value(prom, 'backup_status', { job: 'first' })).toBe(0);
    expect(value(prom, 'backup_status', { job: 'second' })).toBe(0);
  });

  it('SIGINT before anything started: 130, every job reported not started', async () => {
    const { path, catalog } = await makeConfig();
    const controller = new AbortController();
    controller.abort(new CronjobInterrupt('SIGINT'));
    const result = await run({ argv: [], env: baseEnv(path), signal: controller.signal });
    expect(result.exitCode).toBe(130);
    expect(result.jobs.every((j) => j.error?.code === 'ABORTED')).toBe(true);
    expect(await catalog.listSets('first')).toEqual([]);
  });
});
