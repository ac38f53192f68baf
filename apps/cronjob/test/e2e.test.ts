// End to end: the cronjob against a real PostgreSQL, s3rver (S3) and a real Prometheus Pushgateway,
// with age encryption on. Simulated days (injected clock) create, verify and prune sets to the
// policy; the Pushgateway's metrics are scraped; the latest encrypted set is restored with the
// identity and compared row by row. Then the failure modes: storage unreachable, source down, a
// concurrent run (lock held), and SIGTERM in the middle of a multipart upload of the built binary.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDecryptor, createEngine, loadConfig } from '@backup/config';
import {
  acquireJobLock,
  Catalog,
  isBackupError,
  jobLockKey,
  type Logger,
  recipientFingerprint,
  restoreBackup,
  S3Storage,
} from '@backup/core';
import {
  freePort,
  type PostgresServer,
  type PushgatewayServer,
  type S3rverInstance,
  startPostgres,
  startPushgateway,
  startS3rver,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunCronjobOptions, runCronjob } from '../src/index.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const JOB = 'postgresql';
const BIG_JOB = 'bigjob';

// --- small helpers -------------------------------------------------------------------------------

interface LogLine {
  level: string;
  msg: string | undefined;
  obj: Record<string, unknown>;
}

function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, msg, obj: obj as Record<string, unknown> });
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

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

/** The Pushgateway's view of one job's `backup_*` series, e.g. `backup_status{engine="postgres"}` -> 1. */
async function scrape(job: string): Promise<Map<string, number>> {
  const response = await fetch(`${pushgateway.url}/metrics`);
  const text = await response.text();
  const series = new Map<string, number>();
  for (const s of parseSamples(text)) {
    if (!s.name.startsWith('backup_') || s.labels['job'] !== job) continue;
    const { job: _job, instance: _instance, ...rest } = s.labels;
    const labels = Object.entries(rest)
      .sort()
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    series.set(labels ? `${s.name}{${labels}}` : s.name, s.value);
  }
  return series;
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
const at = (iso: string) => () => new Date(iso);

/** In-progress multipart uploads under a prefix (s3rver's ListMultipartUploads, added by the harness). */
async function multipartUploads(prefix: string): Promise<string[]> {
  const response = await fetch(`${s3.endpoint}/${s3.bucket}?uploads&prefix=${encodeURIComponent(prefix)}`);
  const xml = await response.text();
  if (!response.ok) throw new Error(`ListMultipartUploads: ${response.status} ${xml}`);
  return [...xml.matchAll(/<Upload><Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of bucket.list(prefix)) keys.push(object.key);
  return keys.sort();
}

// --- fixtures ------------------------------------------------------------------------------------

let pg: PostgresServer;
let s3: S3rverInstance;
let pushgateway: PushgatewayServer;
let work: string;
let configPath: string;
let identityFile: string;
let wrongIdentityFile: string;
let recipient: string;
let env: NodeJS.ProcessEnv;
/** The bucket with the config's prefix (`agentic/`), as the cronjob sees it. */
let bucket: S3Storage;
let catalog: Catalog;
/** Fills database `big` (~100 MB of random-ish rows) in the background while the days run. */
let bigReady: Promise<void>;

beforeAll(async () => {
  [pg, s3, pushgateway] = await Promise.all([startPostgres(), startS3rver(), startPushgateway()]);
  work = await mkdtemp(join(tmpdir(), 'cronjob-e2e-'));
  identityFile = join(work, 'backup-identity.txt');
  wrongIdentityFile = join(work, 'wrong-identity.txt');
  execFileSync('age-keygen', ['-o', identityFile], { stdio: 'ignore' });
  execFileSync('age-keygen', ['-o', wrongIdentityFile], { stdio: 'ignore' });
  recipient = execFileSync('age-keygen', ['-y', identityFile]).toString().trim();

  await pg.query('create database app');
  await pg.query(
    `create schema docs;
     create table docs.documents (id serial primary key, title text, meta jsonb, tags text[], at timestamptz);
     insert into docs.documents (title, meta, tags, at)
       select 'Runbook ' || i || ' 復旧 ✅', jsonb_build_object('n', i, 'f', i / 7.0), array['ops', 'x' || i],
              '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 minute'
       from generate_series(1, 5000) i;
     create table days (day text primary key, payload bytea);`,
    'app',
  );
  bigReady = (async () => {
    await pg.query('create database big');
    await pg.query(
      `create table noise (id int, a text, b text, n float8);
       insert into noise
         select i, md5(random()::text) || md5(random()::text), md5(random()::text) || md5(i::text), random()
         from generate_series(1, 700000) i;`,
      'big',
    );
  })();
  bigReady.catch(() => {}); // awaited by the SIGTERM test

  configPath = join(work, 'backup.yaml');
  await writeFile(
    configPath,
    `# The deployment's config shape (apps/cronjob/deploy/base/config/backup.yaml) on s3rver.
storage:
  type: s3
  bucket: ${s3.bucket}
  prefix: agentic
  endpoint: \${S3_ENDPOINT}
  region: us-east-1
  forcePathStyle: true
  partSize: 5242880
compression: zstd
encryption:
  recipients:
    - \${BACKUP_AGE_RECIPIENT}
retention:
  keepDaily: 3
  keepWeekly: 2
metrics:
  pushgateway: http://127.0.0.1:9/overridden-by-BACKUP_PUSHGATEWAY_URL
jobs:
  - name: ${JOB}
    engine: postgres
    url: \${DATABASE_URL}
    databases: [app]
    globals: true
  - name: ${BIG_JOB}
    engine: postgres
    url: \${DATABASE_URL}
    databases: [big]
    globals: false
`,
  );
  // In-process runs build their S3 client from the standard AWS environment, as in a pod.
  process.env['AWS_ACCESS_KEY_ID'] = s3.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = s3.secretAccessKey;
  env = {
    PATH: process.env['PATH'],
    BACKUP_CONFIG: configPath,
    S3_ENDPOINT: s3.endpoint,
    DATABASE_URL: pg.url('postgres'),
    BACKUP_AGE_RECIPIENT: recipient,
    BACKUP_PUSHGATEWAY_URL: pushgateway.url,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LOG_LEVEL: 'info',
  };
  bucket = new S3Storage(s3.storageOptions());
  catalog = new Catalog(bucket);
});

afterAll(async () => {
  await bigReady?.catch(() => {});
  await Promise.all([pg?.stop(), s3?.stop(), pushgateway?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function run(options: RunCronjobOptions) {
  const stdout = textBuffer();
  const stderr = textBuffer();
  const { logger, lines } = memoryLogger();
  const result = await runCronjob({ logger, stdout, stderr, env, ...options });
  return { ...result, stdout: stdout.text(), stderr: stderr.text(), lines };
}

// --- the tests (in order: each builds on the state the previous ones left) -------------------------

/**
 * Days of January 2026 (02:00 UTC) and the complete sets left after that day's prune, by hand from
 * restic's rules (shared/notes/retention.md 1.2) with keepDaily 3 / keepWeekly 2. ISO weeks:
 * W01 = Thu 01..Sun 04, W02 = 05..11, W03 = 12..18, W04 = 19..25. While fewer than two weeks (or
 * three days) have sets, the oldest set is kept as "oldest ... snapshot"; from day 05 on the weekly
 * rule keeps the newest set of W01 (the 04th) until day 14 brings week W03.
 */
const DAYS: Array<[day: string, kept: string[]]> = [
  ['01', ['01']],
  ['02', ['02', '01']],
  ['03', ['03', '02', '01']],
  ['04', ['04', '03', '02', '01']],
  ['05', ['05', '04', '03']],
  ['06', ['06', '05', '04']],
  ['07', ['07', '06', '05', '04']],
  ['08', ['08', '07', '06', '04']],
  ['09', ['09', '08', '07', '04']],
  ['10', ['10', '09', '08', '04']],
  ['14', ['14', '10', '09']],
  ['19', ['19', '14', '10']],
];
const setId = (day: string) => `202601${day}-020000`;

describe('backup-cronjob end to end (PostgreSQL, s3rver, Pushgateway, age)', () => {
  it('simulated days: sets created, verified, pruned to the policy; metrics pushed with the right values', async () => {
    for (const [day, kept] of DAYS) {
      const now = `2026-01-${day}T02:00:00Z`;
      await pg.query(`insert into days values ('${day}', decode(md5(random()::text), 'hex'))`, 'app');
      const result = await run({ argv: ['--job', JOB], clock: at(now) });
      expect(
        result.exitCode,
        `${day}: ${result.stdout}${JSON.stringify(result.lines.filter((l) => l.level !== 'info'))}`,
      ).toBe(0);
      const [summary] = result.jobs;
      expect(summary).toMatchObject({
        job: JOB,
        ok: true,
        setId: setId(day),
        verify: 'checksum',
        pushed: true,
      });
      expect(result.stdout).toMatch(
        new RegExp(
          `^ok {6}${JOB} {2}set=${setId(day)} stored=\\d+B verify=checksum pruned=\\d+ kept=${kept.length} metrics=pushed duration=`,
        ),
      );

      const sets = await catalog.listSets(JOB);
      expect(
        sets.map((s) => s.id),
        `after ${day}`,
      ).toEqual(kept.map(setId));
      expect(sets.every((s) => s.complete)).toBe(true);
      expect(await bucket.head(jobLockKey(JOB))).toBeUndefined();

      const metrics = await scrape(JOB);
      expect(metrics.get('backup_status{engine="postgres"}'), day).toBe(1);
      expect(metrics.get('backup_verify_status{engine="postgres"}')).toBe(1);
      expect(metrics.get('backup_last_success_timestamp_seconds{engine="postgres"}')).toBe(seconds(now));
      expect(metrics.get('backup_last_attempt_timestamp_seconds{engine="postgres"}')).toBe(seconds(now));
      expect(metrics.get('backup_retained_sets')).toBe(kept.length);
      expect(metrics.get('backup_size_bytes{engine="postgres",unit="app"}')).toBeGreaterThan(0);
      expect(metrics.get('backup_size_bytes{engine="postgres",unit="globals"}')).toBeGreaterThan(0);
      expect(metrics.get('backup_set_size_bytes{engine="postgres"}')).toBe(summary?.storedBytes);
    }

    // Encrypted to the recipient (its fingerprint, never a key), compressed, standard file names.
    const latest = await catalog.resolve(JOB, 'latest');
    expect(latest.id).toBe(setId('19'));
    expect(latest.artifacts.map((a) => a.name).sort()).toEqual(['app.dump.zst.age', 'globals.sql.zst.age']);
    for (const artifact of latest.artifacts) {
      expect(artifact.encryption?.recipients).toEqual([recipientFingerprint(recipient)]);
    }
    expect(JSON.stringify(latest)).not.toContain(pg.password);
  });

  it('restores the encrypted latest set with the identity: identical rows; a wrong identity is DECRYPT_FAILED', async () => {
    const { config } = await loadConfig({ path: configPath, env });
    const engine = createEngine(config.jobs.find((j) => j.name === JOB)!, env);
    const manifest = await catalog.resolve(JOB, 'latest');
    const decryptor = await createDecryptor({ identityFile, env: {} });
    const results = await restoreBackup({
      catalog,
      manifest,
      engine,
      units: ['app'],
      options: { into: 'app_restored' },
      decryptor,
    });
    expect(results.map((r) => r.unit)).toEqual(['app']);
    const original = await pg.rowDigests('app');
    expect(Object.keys(original)).toEqual(['docs.documents', 'public.days']);
    expect(original['public.days']).toMatch(/^12:/);
    expect(await pg.rowDigests('app_restored')).toEqual(original);

    const wrong = await createDecryptor({ identityFile: wrongIdentityFile, env: {} });
    const failure = await restoreBackup({
      catalog,
      manifest,
      engine,
      units: ['app'],
      options: { into: 'app_wrong_key' },
      decryptor: wrong,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isBackupError(failure, 'DECRYPT_FAILED'), String(failure)).toBe(true);
  });

  it('storage unreachable: exit 8, nothing stored, status 0 pushed and the last success kept', async () => {
    const before = await keysUnder('');
    const closed = await freePort();
    const result = await run({
      argv: ['--job', JOB],
      env: { ...env, S3_ENDPOINT: `http://127.0.0.1:${closed}` },
      clock: at('2026-01-20T02:00:00Z'),
    });
    expect(result.exitCode).toBe(8);
    expect(result.jobs[0]?.error).toMatchObject({ code: 'STORAGE_UNREACHABLE', step: 'lock' });
    expect(result.stdout).toMatch(
      /^FAILED {2}postgresql {2}code=STORAGE_UNREACHABLE step=lock metrics=pushed /,
    );
    expect(await keysUnder('')).toEqual(before);
    expect((await catalog.listSets(JOB)).map((s) => s.id)).toEqual(['19', '14', '10'].map(setId));
    const metrics = await scrape(JOB);
    expect(metrics.get('backup_status{engine="postgres"}')).toBe(0);
    expect(metrics.get('backup_last_attempt_timestamp_seconds{engine="postgres"}')).toBe(
      seconds('2026-01-20T02:00:00Z'),
    );
    // The catalog could not be read: pushed with POST, so the Pushgateway keeps the last success.
    expect(metrics.get('backup_last_success_timestamp_seconds{engine="postgres"}')).toBe(
      seconds('2026-01-19T02:00:00Z'),
    );
  });

  it('source down (wrong password): exit 9, status 0 pushed, last success stays, sets untouched', async () => {
    const before = await keysUnder('');
    const result = await run({
      argv: ['--job', JOB],
      env: { ...env, DATABASE_URL: pg.url('postgres').replace(encodeURIComponent(pg.password), 'not-it') },
      clock: at('2026-01-21T02:00:00Z'),
    });
    expect(result.exitCode).toBe(9);
    expect(result.jobs[0]?.error).toMatchObject({ code: 'SOURCE_FAILED', step: 'backup' });
    expect(result.stdout).not.toContain('not-it');
    expect(await keysUnder('')).toEqual(before);
    const metrics = await scrape(JOB);
    expect(metrics.get('backup_status{engine="postgres"}')).toBe(0);
    expect(metrics.get('backup_last_attempt_timestamp_seconds{engine="postgres"}')).toBe(
      seconds('2026-01-21T02:00:00Z'),
    );
    // Seeded from the newest complete set in storage (pushed with PUT).
    expect(metrics.get('backup_last_success_timestamp_seconds{engine="postgres"}')).toBe(
      seconds('2026-01-19T02:00:00Z'),
    );
    expect(metrics.get('backup_size_bytes{engine="postgres",unit="app"}')).toBeGreaterThan(0);
  });

  it('a concurrent run (lock held) fails fast with LOCKED, exit 5, and changes nothing', async () => {
    const clock = at('2026-01-22T02:00:00Z');
    const held = await acquireJobLock({ storage: bucket, job: JOB, owner: 'e2e-holder', clock });
    try {
      const before = await keysUnder('');
      const metricsBefore = await scrape(JOB);
      const started = Date.now();
      const result = await run({ argv: ['--job', JOB], clock });
      expect(result.exitCode).toBe(5);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.jobs[0]?.error).toMatchObject({ code: 'LOCKED', step: 'lock' });
      expect(result.jobs[0]?.error?.message).toContain('e2e-holder');
      expect(result.stdout).toMatch(/^FAILED {2}postgresql {2}code=LOCKED step=lock duration=/);
      expect(result.lines.some((l) => l.msg === 'backup started')).toBe(false);
      expect(await keysUnder('')).toEqual(before);
      expect(await scrape(JOB)).toEqual(metricsBefore);
    } finally {
      await held.release();
    }
  });

  it('SIGTERM mid-upload (built binary): exit 143, no manifest, lock released, no upload or object left', async () => {
    await bigReady;
    const [big] = await pg.query<{ size: string }>(`select pg_database_size('big')::text as size`);
    expect(Number(big?.size)).toBeGreaterThan(90 * 1024 * 1024);
    const child = spawn(process.execPath, [BIN, '--job', BIG_JOB], {
      env: { ...env, BACKUP_FAKE_NOW: '2026-01-23T02:00:00Z' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    const logged = (msg: string) =>
      stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .some((line) => (JSON.parse(line) as { msg?: string }).msg === msg);
    const waitFor = async (what: string, check: () => boolean | Promise<boolean>) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (child.exitCode !== null) throw new Error(`exited before ${what}: ${child.exitCode}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await waitFor('"backup started"', () => logged('backup started'));
      // A multipart upload is in progress (the first 5 MiB part is on its way).
      await waitFor(
        'a multipart upload',
        async () => (await multipartUploads(`agentic/${BIG_JOB}/`)).length > 0,
      );
      expect(logged('backup complete')).toBe(false);
      const signalled = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      expect(code, stderr).toBe(143);
      expect(Date.now() - signalled).toBeLessThan(45_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // BACKUP_FAKE_NOW: the clock starts at the simulated time.
    expect(stderr).toMatch(/"set":"20260123-02000\d"/);
    expect(logged('signal received: stopping')).toBe(true);
    expect(logged('job lock released')).toBe(true);
    expect(logged('metrics pushed')).toBe(true);
    expect(stderr).not.toContain(pg.password);
    expect(stdout).toMatch(/^FAILED {2}bigjob {2}code=ABORTED step=backup metrics=pushed /);

    // Nothing left: no manifest (nothing listed), no partial set, no lock, no multipart upload.
    expect(await catalog.listBackups(BIG_JOB)).toEqual([]);
    expect(await catalog.listSets(BIG_JOB)).toEqual([]);
    expect(await keysUnder(`${BIG_JOB}/`)).toEqual([]);
    expect(await multipartUploads(`agentic/${BIG_JOB}/`)).toEqual([]);
    const metrics = await scrape(BIG_JOB);
    expect(metrics.get('backup_status{engine="postgres"}')).toBe(0);
    expect(metrics.has('backup_last_success_timestamp_seconds{engine="postgres"}')).toBe(false);
    // The other job's group is untouched.
    expect((await scrape(JOB)).get('backup_last_success_timestamp_seconds{engine="postgres"}')).toBe(
      seconds('2026-01-19T02:00:00Z'),
    );
  });

  it('the binary refuses a malformed BACKUP_FAKE_NOW with exit 2', async () => {
    const child = spawn(process.execPath, [BIN, '--job', JOB], {
      env: { ...env, BACKUP_FAKE_NOW: 'yesterday' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('error [CONFIG_INVALID]: BACKUP_FAKE_NOW must be an ISO 8601 time');
  });
});
