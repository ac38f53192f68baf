// Benchmark of the PostgreSQL engine against the native tools, on generated data. Not a test:
// run with `pnpm bench` (root) or `node bench/run.ts` here after `pnpm build`.
//
//   node bench/run.ts [--size=<GB, default 1>] [--runs=<default 3>]
//   (or BENCH_SIZE_GB / BENCH_RUNS)
//
// Data: pgbench tables (`pgbench -i -s N`, compressible) + an agent-memory table (jsonb payload,
// random float4[384] embeddings, poorly compressible), about 52 pgbench scale units and 105,000
// agent rows per GB of database, as in shared/notes/performance.md. Reports min and median over
// the runs of: (a) `pg_dump -Fc -Z0 | zstd -3 > file`, (b) our backup to a directory, (c0) the
// stock tools to the same s3rver, `pg_dump -Fc -Z0 | zstd -3 | rclone rcat` (when `rclone` is
// installed: Debian package rclone), (c) our backup to s3rver, (d) `pg_restore -d <db> file` of a
// local -Fc -Z0 file, (e) our restore from the (b) set, (f)/(g) peak RSS of our backup process to
// fs / s3rver; the ratios ours / baseline against the targets: backup <= 1.10x, restore <= 1.10x,
// RSS <= 150 MiB; and, for (c), the ratio to (c0) and what s3rver itself spent (its CPU, and the
// time it took to answer CompleteMultipartUpload, which it implements by copying every part into
// a new file). s3rver runs in this process, on the same 2 cores as everything else.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = (await import('@backup/core' as string)) as typeof import('@backup/core');
const { connectionEnv, createPostgresEngine } = (await import(
  '@backup/postgres' as string
)) as typeof import('../src/index.js');
const services = (await import('@backup/test-services' as string)) as typeof import('@backup/test-services');

const MIB = 1024 * 1024;

/** What this script passes to bench/backupChild.mjs. */
export interface ChildConfig {
  url: string;
  database: string;
  job: string;
  storage:
    | { type: 'fs'; path: string }
    | { type: 's3'; options: import('@backup/test-services').S3rverStorageOptions };
}
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v] as const;
  }),
);
const sizeGb = Number(args.get('size') ?? process.env['BENCH_SIZE_GB'] ?? 1);
const runs = Math.max(1, Math.floor(Number(args.get('runs') ?? process.env['BENCH_RUNS'] ?? 3)));
if (!(sizeGb > 0)) throw new Error('--size must be a positive number of GB');
const here = dirname(fileURLToPath(import.meta.url));

/** Runs a shell command (bash, pipefail) and resolves with its wall time in ms. */
function timeShell(command: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail; ${command}`], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${command} failed (${code}): ${stderr}`)),
    );
  });
}

/** Runs bench/backupChild.mjs and returns what it printed. */
function runChild(
  config: ChildConfig,
): Promise<{ ms: number; maxRssBytes: number; plaintextBytes: number; storedBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--max-semi-space-size=1', join(here, 'backupChild.mjs'), JSON.stringify(config)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`backup child failed (${code}): ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

const pg = await services.startPostgres();
const work = await mkdtemp(join(tmpdir(), 'pg-bench-'));
const s3 = await services.startS3rver();
/** `rclone` on PATH? (row (c0); `apt-get install rclone`) */
const rclone = await timeShell('command -v rclone', process.env).then(
  () => true,
  () => false,
);
try {
  const url = pg.url('bench');
  const env = connectionEnv(url, process.env);
  const bin = (tool: string) => join(pg.binDir, tool);

  // ---- data -------------------------------------------------------------------------------
  const scale = Math.max(1, Math.round(sizeGb * 52));
  const agentRows = Math.max(1000, Math.round(sizeGb * 105_000));
  console.log(`Generating ~${sizeGb} GB: pgbench scale ${scale} + ${agentRows} agent-memory rows...`);
  const genStarted = performance.now();
  await pg.query('create database bench');
  await timeShell(`${bin('pgbench')} -i -q -s ${scale} bench`, env);
  await pg.query(
    `create table agent_memory (id bigserial primary key, thread_id text not null, payload jsonb not null,
                                embedding float4[] not null, created_at timestamptz not null default now())`,
    'bench',
  );
  for (let done = 0; done < agentRows; done += 20_000) {
    const n = Math.min(20_000, agentRows - done);
    await pg.query(
      `insert into agent_memory (thread_id, payload, embedding)
       select 'thread-' || (g % 500),
              jsonb_build_object('role', 'assistant', 'content', 'memory ' || g || ' ' || md5(g::text),
                                 'tokens', g % 4096, 'tags', jsonb_build_array('agent', 'memory')),
              (select array_agg((random() * 2 - 1 + i * 0 + g * 0)::float4) from generate_series(1, 384) i)
         from generate_series(${done + 1}, ${done + n}) g`,
      'bench',
    );
  }
  await pg.query('vacuum analyze', 'bench');
  const [{ size }] = (await pg.query<{ size: string }>(`select pg_database_size('bench')::text as size`)) as [
    { size: string },
  ];
  console.log(
    `Database bench: ${mb(Number(size))} generated in ${seconds(performance.now() - genStarted)} s`,
  );

  // A local custom-format file for the pg_restore baseline (not timed).
  const localDump = join(work, 'local.dump');
  await timeShell(`${bin('pg_dump')} -Fc -Z0 --no-password --dbname=bench > ${localDump}`, env);
  const localDumpBytes = (await stat(localDump)).size;

  const results: Record<string, number[]> = { a: [], b: [], c0: [], c: [], d: [], e: [], f: [], g: [] };
  /** CPU milliseconds s3rver (this process) used during each (c0) and (c) run. */
  const s3rverCpuMs: Record<'c0' | 'c', number[]> = { c0: [], c: [] };
  /** Milliseconds s3rver took to answer CompleteMultipartUpload in each (c0) and (c) run. */
  const completeMs: Record<'c0' | 'c', number[]> = { c0: [], c: [] };
  let baselineBytes = 0;
  let ourStored = 0;
  let ourPlaintext = 0;
  for (let run = 1; run <= runs; run++) {
    // (a) baseline backup
    const baseFile = join(work, `baseline-${run}.dump.zst`);
    results['a']!.push(
      await timeShell(
        `${bin('pg_dump')} -Fc -Z0 --no-password --dbname=bench | zstd -3 -q -c > ${baseFile}`,
        env,
      ),
    );
    baselineBytes = (await stat(baseFile)).size;
    await rm(baseFile);

    // (b) + (f) our backup to a directory, in a child process
    const repo = join(work, `repo-${run}`);
    await mkdir(repo);
    const ours = await runChild({
      url,
      database: 'bench',
      job: 'postgresql',
      storage: { type: 'fs', path: repo },
    });
    results['b']!.push(ours.ms);
    results['f']!.push(ours.maxRssBytes);
    ourStored = ours.storedBytes;
    ourPlaintext = ours.plaintextBytes;

    // (c0) the stock tools to the same s3rver: rclone streams stdin as a multipart upload (5 MiB
    // parts, 4 at a time). AWS_CA_BUNDLE is dropped: rclone 1.60 refuses it for plain http.
    if (rclone) {
      s3.requestTimings({ reset: true });
      const cpuBefore = process.cpuUsage();
      const rcloneEnv: NodeJS.ProcessEnv = {
        ...env,
        AWS_CA_BUNDLE: undefined,
        RCLONE_CONFIG_BENCH_TYPE: 's3',
        RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
        RCLONE_CONFIG_BENCH_ENDPOINT: s3.endpoint,
        RCLONE_CONFIG_BENCH_REGION: s3.region,
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: s3.accessKeyId,
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: s3.secretAccessKey,
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
      };
      results['c0']!.push(
        await timeShell(
          `${bin('pg_dump')} -Fc -Z0 --no-password --dbname=bench | zstd -3 -q -c | ` +
            `rclone -q rcat bench:${s3.bucket}/rclone/run-${run}.dump.zst`,
          rcloneEnv,
        ),
      );
      const cpu = process.cpuUsage(cpuBefore);
      s3rverCpuMs['c0']!.push((cpu.user + cpu.system) / 1000);
      completeMs['c0']!.push(s3.requestTimings()['CompleteMultipartUpload']?.ms ?? 0);
    }

    // (c) our backup to s3rver
    {
      // s3rver runs in this process: its CPU during (c) is this process's CPU (it is idle otherwise).
      s3.requestTimings({ reset: true });
      const cpuBefore = process.cpuUsage();
      const s3ours = await runChild({
        url,
        database: 'bench',
        job: `postgresql-${run}`,
        storage: { type: 's3', options: s3.storageOptions() },
      });
      results['c']!.push(s3ours.ms);
      results['g']!.push(s3ours.maxRssBytes);
      const cpu = process.cpuUsage(cpuBefore);
      s3rverCpuMs['c']!.push((cpu.user + cpu.system) / 1000);
      completeMs['c']!.push(s3.requestTimings()['CompleteMultipartUpload']?.ms ?? 0);
    }

    // (d) baseline restore from the local file, into a fresh database
    await pg.query(`create database base_r${run} template template0`);
    results['d']!.push(
      await timeShell(`${bin('pg_restore')} --no-password --dbname=base_r${run} ${localDump}`, env),
    );
    await pg.query(`drop database base_r${run}`);

    // (e) our restore from the (b) set, into a fresh database
    await pg.query(`create database ours_r${run} template template0`);
    const storage = new core.FsStorage({ path: repo });
    const catalog = new core.Catalog(storage);
    const manifest = await catalog.resolve('postgresql', 'latest');
    const started = performance.now();
    await core.restoreBackup({
      catalog,
      manifest,
      engine: createPostgresEngine({ url, databases: ['bench'], globals: false }),
      options: { into: `ours_r${run}` },
    });
    results['e']!.push(performance.now() - started);
    await pg.query(`drop database ours_r${run}`);
    await rm(repo, { recursive: true, force: true });
    console.log(`run ${run}/${runs} done`);
  }

  // ---- report -----------------------------------------------------------------------------
  const row = (label: string, xs: number[], base?: number[], target?: string) => {
    if (xs.length === 0 || (base && base.length === 0)) return [label, 'skipped', '', '', '', target ?? ''];
    const ratio = base ? [min(xs) / min(base), median(xs) / median(base)] : undefined;
    const pass = ratio && target ? (ratio[1]! <= 1.1 ? 'ok' : 'OVER') : '';
    return [
      label,
      seconds(min(xs)),
      seconds(median(xs)),
      ratio ? `${ratio[0]!.toFixed(2)}x` : '',
      ratio ? `${ratio[1]!.toFixed(2)}x` : '',
      target ? `${target} ${pass}` : '',
    ];
  };
  const table = [
    ['measure', 'min s', 'median s', 'ratio min', 'ratio median', 'target'],
    row('(a) pg_dump -Fc -Z0 | zstd -3 > file', results['a']!),
    row('(b) ours: backup -> fs (zstd-3)', results['b']!, results['a'], '<= 1.10x'),
    row('(c0) pg_dump -Fc -Z0 | zstd -3 | rclone rcat -> s3rver', results['c0']!, results['a']),
    row('(c) ours: backup -> s3rver (zstd-3)', results['c']!, results['a'], '<= 1.10x'),
    row('(c) against (c0): the same s3rver, stock tools', results['c']!, results['c0'], '<= 1.10x'),
    row('(d) pg_restore -d db local.dump', results['d']!),
    row('(e) ours: restore <- fs set', results['e']!, results['d'], '<= 1.10x'),
  ];
  const rssLine = (label: string, rss: number[]) =>
    rss.length === 0
      ? `${label}: skipped`
      : `${label}: max ${(Math.max(...rss) / MIB).toFixed(1)} MiB, median ${(median(rss) / MIB).toFixed(1)} MiB ` +
        `(target <= 150 MiB: ${Math.max(...rss) <= 150 * MIB ? 'ok' : 'OVER'})`;
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const line = (r: string[]) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  console.log('');
  console.log(
    `PostgreSQL ${pg.major}, database ${mb(Number(size))}, ${runs} run(s); dump ${mb(ourPlaintext)} plaintext ` +
      `(local -Z0 file ${mb(localDumpBytes)}); stored: ours ${mb(ourStored)}, baseline zstd ${mb(baselineBytes)}`,
  );
  console.log(line(table[0]!));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of table.slice(1)) console.log(line(r as string[]));
  console.log(rssLine('(f) peak RSS of our backup process -> fs', results['f']!));
  console.log(rssLine('(g) peak RSS of our backup process -> s3rver', results['g']!));
  for (const k of ['c0', 'c'] as const) {
    if (s3rverCpuMs[k].length === 0) continue;
    console.log(
      `s3rver during (${k}): CPU min ${seconds(min(s3rverCpuMs[k]))} s, median ${seconds(median(s3rverCpuMs[k]))} s ` +
        `on the same 2 cores; CompleteMultipartUpload answered in min ${seconds(min(completeMs[k]))} s, ` +
        `median ${seconds(median(completeMs[k]))} s (s3rver copies all parts into one file)`,
    );
  }
  if (!rclone) console.log('(c0) skipped: rclone is not installed (apt-get install rclone).');
} finally {
  await s3.stop();
  await pg.stop();
  await rm(work, { recursive: true, force: true });
}
