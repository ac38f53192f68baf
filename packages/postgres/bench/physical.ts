// Benchmark of physical backups and WAL archiving against pgBackRest, on generated data. Not a
// test: run `node bench/physical.ts` here after `pnpm turbo run build --filter=@backup/cli...`.
//
//   node bench/physical.ts [--size=<GB, default 2>] [--runs=<default 3>] [--segments=<default 20>]
//                          [--pgbench-seconds=<default 60>] [--parts=base,segments,archive]
//
// Same data as bench/run.ts (pgbench tables + agent-memory rows with random float4[384]
// embeddings, shared/notes/performance.md). Every number is measured in the same run as its
// baseline, several times (min and median):
//   (a) pgbackrest backup --type=full (zst level 3, process-max 2, start-fast) into a local repo;
//   (b) ours: `backup run` of a `mode: physical` job (pg_basebackup -D - -Ft -X fetch -> zstd-3 ->
//       fs) in a fresh CLI process; target (b)/(a) <= 1.5x;
//   (c) per-segment cost of `backup wal-push` (fresh process each, as archive_command runs it):
//       `--ahead 0` on a lone segment (the full push: load the CLI, hash, compress, store), and
//       `--no-helper` (the look-ahead inside the call, so no background process skews the other
//       rows) in a pg_wal/ + archive_status/*.ready layout called for each segment in order as
//       the archiver does (a call pushes up to 16 more ready segments, 4 at a time; the calls for
//       segments pushed ahead are answered from their spool markers): per call and the mean per
//       segment; vs `pgbackrest archive-push` (sync) of the same segments, and
//       bare `node -e 0`;
//   (d) archiving under load for N seconds with each tool as archive_command (ours: the default,
//       which starts the background archive helper, and `--ahead 0`), after a checkpoint
//       (so every run starts with the same full-page-write burst), with two workloads: pgbench's
//       TPC-B-like script (-N) and bulk inserts (5000 rows per transaction): WAL generated,
//       segments archived, largest backlog (.ready files), backlog at the end and time to drain it.

import { execFileSync, spawn } from 'node:child_process';
import {
  chmod,
  chown,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const services = (await import('@backup/test-services' as string)) as typeof import('@backup/test-services');

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v] as const;
  }),
);
const sizeGb = Number(args.get('size') ?? process.env['BENCH_SIZE_GB'] ?? 2);
const runs = Math.max(1, Math.floor(Number(args.get('runs') ?? process.env['BENCH_RUNS'] ?? 3)));
const segmentCount = Math.max(3, Math.floor(Number(args.get('segments') ?? 20)));
const pgbenchSeconds = Math.max(10, Math.floor(Number(args.get('pgbench-seconds') ?? 60)));
const parts = new Set((args.get('parts') ?? 'base,segments,archive').split(','));
const here = dirname(fileURLToPath(import.meta.url));
const cliBin = join(here, '../../../apps/cli/dist/bin.js');
const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
const isRoot = process.getuid?.() === 0;

const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Runs a command (as the postgres OS user when `asPostgres`), resolves with its wall time in ms. */
function timed(
  command: string,
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; asPostgres?: boolean; cwd?: string } = {},
): Promise<number> {
  const [cmd, full] =
    options.asPostgres && isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...argv]] : [command, argv];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, full, {
      env: options.env ?? process.env,
      cwd: options.cwd,
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
        : reject(new Error(`${command} ${argv.join(' ')} failed (${code}): ${stderr}`)),
    );
  });
}

async function du(path: string): Promise<number> {
  let total = 0;
  for (const entry of (await readdir(path, { recursive: true })) as string[]) {
    const s = await stat(join(path, entry)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

const pg = await services.startPostgres({
  // full_page_writes back on (the harness turns it off): a realistic WAL volume for the archive runs.
  settings: {
    archive_mode: 'on',
    max_wal_size: '8GB',
    wal_keep_size: '2GB',
    full_page_writes: 'on',
  },
});
// archive_command goes through ALTER SYSTEM (postgresql.auto.conf): a -c setting on the command
// line would take precedence over it and the runs below could not switch commands.
await pg.query(`alter system set archive_command = '/bin/true'`);
await pg.query('select pg_reload_conf()');
const work = await mkdtemp(join(tmpdir(), 'pg-physical-bench-'));
try {
  await chmod(work, 0o755);
  const bin = (tool: string) => join(pg.binDir, tool);
  const env = { ...process.env, ...pg.env('bench') };
  const socketDir = join(dirname(pg.dataDir), 'sock');
  // The archiver runs as postgres, which cannot enter /root where the toolchain's node may live.
  const nodeBin = join(work, 'node');
  await link(process.execPath, nodeBin).catch(() => copyFile(process.execPath, nodeBin));
  await chmod(nodeBin, 0o755);

  // ---- data (as bench/run.ts) ---------------------------------------------------------------
  const scale = Math.max(1, Math.round(sizeGb * 52));
  const agentRows = Math.max(1000, Math.round(sizeGb * 105_000));
  console.log(`Generating ~${sizeGb} GB: pgbench scale ${scale} + ${agentRows} agent-memory rows...`);
  const genStarted = performance.now();
  await pg.query('create database bench');
  await timed(bin('pgbench'), ['-i', '-q', '-s', String(scale), 'bench'], { env });
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
  await pg.query('checkpoint');
  const [{ size }] = (await pg.query<{ size: string }>(
    `select sum(pg_database_size(datname))::text as size from pg_database`,
  )) as [{ size: string }];
  console.log(
    `Cluster: ${mb(Number(size))} generated in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`,
  );

  // ---- repositories ---------------------------------------------------------------------------
  const ourRepo = join(work, 'repo');
  const pgbr = join(work, 'pgbr');
  for (const dir of [
    ourRepo,
    pgbr,
    join(pgbr, 'repo'),
    join(pgbr, 'log'),
    join(pgbr, 'lock'),
    join(pgbr, 'spool'),
  ]) {
    await mkdir(dir, { recursive: true });
    if (isRoot) await chown(dir, uid, gid);
  }
  const config = join(work, 'backup.yaml');
  await writeFile(
    config,
    `storage:\n  type: fs\n  path: ${ourRepo}\ncompression: { algorithm: zstd, level: 3 }\njobs:\n` +
      ['phys', 'warm', 'walpush', 'walpush-ahead', 'phys-load', 'phys-load-p1']
        .map(
          (job) =>
            `  - name: ${job}\n    engine: postgres\n    mode: physical\n    url: ${pg.url('postgres')}\n`,
        )
        .join(''),
  );
  await chmod(config, 0o644);
  const pgbrConf = join(pgbr, 'pgbackrest.conf');
  await writeFile(
    pgbrConf,
    [
      '[global]',
      `repo1-path=${join(pgbr, 'repo')}`,
      `log-path=${join(pgbr, 'log')}`,
      `lock-path=${join(pgbr, 'lock')}`,
      `spool-path=${join(pgbr, 'spool')}`,
      'compress-type=zst',
      'compress-level=3',
      'process-max=2',
      'start-fast=y',
      'archive-check=n',
      'log-level-console=warn',
      'log-level-file=off',
      '[bench]',
      `pg1-path=${pg.dataDir}`,
      `pg1-port=${pg.port}`,
      `pg1-socket-path=${socketDir}`,
      'pg1-user=postgres',
      '',
    ].join('\n'),
  );
  await chmod(pgbrConf, 0o644);
  const pgbackrest = (...a: string[]) =>
    timed('pgbackrest', [`--config=${pgbrConf}`, '--stanza=bench', ...a], { asPostgres: true });
  await pgbackrest('stanza-create');

  // ---- (a) / (b) base backups ------------------------------------------------------------------
  const a: number[] = [];
  const b: number[] = [];
  for (let run = 1; parts.has('base') && run <= runs; run++) {
    const order = run % 2 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      if (which === 'a') a.push(await pgbackrest('backup', '--type=full'));
      else b.push(await timed(process.execPath, [cliBin, '--config', config, 'run', '--job', 'phys']));
    }
    console.log(`base backup run ${run}/${runs}: pgbackrest ${ms(a.at(-1)!)}, ours ${ms(b.at(-1)!)}`);
  }
  const ourSets = parts.has('base')
    ? (await readdir(join(ourRepo, 'phys'))).filter((d) => /^\d{8}-\d{6}$/.test(d))
    : [];
  const ourBytes = ourSets[0] ? await du(join(ourRepo, 'phys', ourSets[0])) : 0;
  const pgbrBytes = parts.has('base') ? (await du(join(pgbr, 'repo', 'backup', 'bench'))) / runs : 0;

  // ---- (c) per-segment push cost ----------------------------------------------------------------
  await pg.query(`create table if not exists churn (id int, v text)`, 'bench');
  const segDir = join(work, 'segments');
  await mkdir(segDir);
  if (isRoot) await chown(segDir, uid, gid);
  const names: string[] = [];
  for (let i = 0; parts.has('segments') && i < segmentCount; i++) {
    await pg.query(`insert into churn select g, md5(g::text) from generate_series(1, 40000) g`, 'bench');
    const [row] = await pg.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
    const target = join(segDir, row!.name);
    await copyFile(join(pg.dataDir, 'pg_wal', row!.name), target);
    if (isRoot) await chown(target, uid, gid);
    names.push(row!.name);
  }
  // The look-ahead layout: a copy of the segments as pg_wal/ with every segment marked ready.
  const laDir = join(work, 'lookahead');
  await mkdir(join(laDir, 'pg_wal', 'archive_status'), { recursive: true });
  for (const name of names) {
    await copyFile(join(segDir, name), join(laDir, 'pg_wal', name));
    await writeFile(join(laDir, 'pg_wal', 'archive_status', `${name}.ready`), '');
  }
  if (isRoot) execFileSync('chown', ['-R', `${uid}:${gid}`, laDir]);
  const bare: number[] = [];
  const ours: number[] = [];
  const oursAhead: number[] = [];
  const pgbrPush: number[] = [];
  const walEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (let i = 0; i < 3; i++) bare.push(await timed(nodeBin, ['-e', '0'], { asPostgres: true }));
  // Warm the compile cache once (not timed): wal-push and wal-fetch enable Node's compile cache.
  if (names[0]) {
    await timed(nodeBin, [cliBin, '--config', config, 'wal-push', join(segDir, names[0]), '--job', 'warm'], {
      asPostgres: true,
      env: walEnv,
    });
  }
  for (const [i, name] of names.entries()) {
    const path = join(segDir, name);
    const steps = [
      async () =>
        ours.push(
          await timed(
            nodeBin,
            [cliBin, '--config', config, 'wal-push', path, '--job', 'walpush', '--ahead', '0'],
            { asPostgres: true, env: walEnv },
          ),
        ),
      async () => {
        oursAhead.push(
          await timed(
            nodeBin,
            [
              cliBin,
              '--config',
              config,
              'wal-push',
              `pg_wal/${name}`,
              '--job',
              'walpush-ahead',
              '--no-helper',
            ],
            {
              asPostgres: true,
              env: walEnv,
              cwd: laDir,
            },
          ),
        );
        // What the archiver does after an exit 0.
        await rename(
          join(laDir, 'pg_wal', 'archive_status', `${name}.ready`),
          join(laDir, 'pg_wal', 'archive_status', `${name}.done`),
        );
      },
      async () => pgbrPush.push(await pgbackrest('archive-push', path)),
    ];
    for (let k = 0; k < steps.length; k++) await steps[(k + i) % steps.length]!();
  }
  const walStored = names.length > 0 ? await du(join(ourRepo, 'walpush', 'wal')) : 0;

  // ---- (d) archiving under pgbench load -----------------------------------------------------------
  const archiveRuns: Array<Record<string, string | number>> = [];
  const commands: Array<[string, string]> = [
    [
      'ours: backup wal-push (default: archive helper)',
      `${nodeBin} ${cliBin} --config ${config} wal-push %p --job phys-load`,
    ],
    [
      'ours: backup wal-push --ahead 0',
      `${nodeBin} ${cliBin} --config ${config} wal-push %p --job phys-load-p1 --ahead 0`,
    ],
    ['pgbackrest archive-push', `pgbackrest --config=${pgbrConf} --stanza=bench archive-push %p`],
  ];
  const readyCount = async () =>
    Number(
      (
        await pg.query<{ n: string }>(
          `select count(*)::text as n from pg_ls_archive_statusdir() where name like '%.ready'`,
        )
      )[0]!.n,
    );
  const bulk = join(work, 'bulk.sql');
  await writeFile(bulk, 'insert into churn select g, md5(g::text) from generate_series(1, 5000) g;\n');
  await chmod(bulk, 0o644);
  const workloads: Array<[string, string[]]> = [
    ['pgbench -N, 4 clients', ['-n', '-c', '4', '-j', '2', '-T', String(pgbenchSeconds), '-N', 'bench']],
    [
      'bulk insert, 2 clients',
      ['-n', '-c', '2', '-j', '2', '-T', String(pgbenchSeconds), '-f', bulk, 'bench'],
    ],
  ];
  const runsToDo = parts.has('archive')
    ? workloads.flatMap(([workload, argv]) =>
        commands.map(([label, command]) => ({ workload, argv, label, command })),
      )
    : [];
  for (const { workload, argv, label, command } of runsToDo) {
    await pg.query(`alter system set archive_command = '${command.replace(/'/g, "''")}'`);
    await pg.query('select pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 2000));
    const [shown] = await pg.query<{ archive_command: string }>('show archive_command');
    if (shown!.archive_command !== command) throw new Error(`archive_command is ${shown!.archive_command}`);
    await pg.query('checkpoint');
    await pg.query(`select pg_stat_reset_shared('archiver')`);
    const [start] = await pg.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
    let maxBacklog = 0;
    const sampler = setInterval(() => {
      readyCount().then(
        (n) => {
          maxBacklog = Math.max(maxBacklog, n);
        },
        () => {},
      );
    }, 1000);
    // Async, so the backlog sampler above keeps running while pgbench does.
    const pgbenchOut = await new Promise<string>((resolve, reject) => {
      const child = spawn(bin('pgbench'), argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`pgbench failed (${code})`)),
      );
    });
    clearInterval(sampler);
    const tps = Number(/tps = ([\d.]+)/.exec(pgbenchOut)?.[1] ?? 0);
    const [end] = await pg.query<{ bytes: string }>(
      `select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '${start!.lsn}')::text as bytes`,
    );
    const backlogAtEnd = await readyCount();
    const [arch] = await pg.query<{ n: string; failed: string }>(
      'select archived_count::text as n, failed_count::text as failed from pg_stat_archiver',
    );
    const drainStarted = performance.now();
    await pg.query('select pg_switch_wal()');
    while ((await readyCount()) > 0) await new Promise((r) => setTimeout(r, 250));
    const drainMs = performance.now() - drainStarted;
    archiveRuns.push({
      label: `${workload}: ${label}`,
      tps: tps.toFixed(0),
      walMBps: (Number(end!.bytes) / 1e6 / pgbenchSeconds).toFixed(1),
      segments: (Number(end!.bytes) / 16777216).toFixed(1),
      archivedDuringLoad: Number(arch!.n),
      failed: Number(arch!.failed),
      maxBacklog,
      backlogAtEnd,
      drainS: (drainMs / 1000).toFixed(1),
    });
    console.log(`archiving (${workload}) with ${label}: done`);
  }

  // ---- report ---------------------------------------------------------------------------------
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
    const line = (r: string[]) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(rows[0]!));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows.slice(1)) console.log(line(r));
  };
  console.log('');
  console.log(
    `PostgreSQL ${pg.major}, cluster ${mb(Number(size))}, ${runs} run(s), load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`,
  );
  if (a.length > 0)
    table([
      ['base backup', 'min s', 'median s', 'stored', 'ratio min', 'ratio median', 'target'],
      [
        '(a) pgbackrest backup --type=full (zst-3, process-max 2)',
        (min(a) / 1000).toFixed(2),
        (median(a) / 1000).toFixed(2),
        mb(pgbrBytes),
        '',
        '',
        '',
      ],
      [
        '(b) ours: backup run, mode physical (zstd-3) -> fs',
        (min(b) / 1000).toFixed(2),
        (median(b) / 1000).toFixed(2),
        mb(ourBytes),
        `${(min(b) / min(a)).toFixed(2)}x`,
        `${(median(b) / median(a)).toFixed(2)}x`,
        `<= 1.5x ${median(b) / median(a) <= 1.5 ? 'ok' : 'OVER'}`,
      ],
    ]);
  console.log('');
  const mean = (xs: number[]) => xs.reduce((t, x) => t + x, 0) / xs.length;
  const ratio = (xs: number[], f: (v: number[]) => number) => `${(f(xs) / f(pgbrPush)).toFixed(2)}x`;
  if (names.length > 0)
    table([
      [
        `per WAL segment (${names.length} segments of 16 MiB, fresh process per call)`,
        'min ms',
        'median ms',
        'mean ms',
        'ratio min',
        'ratio median',
        'ratio mean',
      ],
      ['node -e 0 (process start alone)', ms(min(bare)), ms(median(bare)), ms(mean(bare)), '', '', ''],
      [
        '(c) ours: backup wal-push --ahead 0 (full push per call)',
        ms(min(ours)),
        ms(median(ours)),
        ms(mean(ours)),
        ratio(ours, min),
        ratio(ours, median),
        ratio(ours, mean),
      ],
      [
        '(c) ours: wal-push --no-helper (in-call look-ahead 16, 4 at a time), in order',
        ms(min(oursAhead)),
        ms(median(oursAhead)),
        ms(mean(oursAhead)),
        ratio(oursAhead, min),
        ratio(oursAhead, median),
        ratio(oursAhead, mean),
      ],
      [
        '(c) pgbackrest archive-push (sync, zst-3)',
        ms(min(pgbrPush)),
        ms(median(pgbrPush)),
        ms(mean(pgbrPush)),
        '',
        '',
        '',
      ],
    ]);
  if (names.length > 0) console.log(`stored WAL (ours, zstd-3): ${mb(walStored / names.length)} per segment`);
  console.log('');
  table([
    [
      'archive_command under pgbench',
      'tps',
      'WAL MB/s',
      'segments',
      'archived in run',
      'failed',
      'max backlog',
      'backlog at end',
      'drain s',
    ],
    ...archiveRuns.map((r) => [
      String(r['label']),
      String(r['tps']),
      String(r['walMBps']),
      String(r['segments']),
      String(r['archivedDuringLoad']),
      String(r['failed']),
      String(r['maxBacklog']),
      String(r['backlogAtEnd']),
      String(r['drainS']),
    ]),
  ]);
} finally {
  await pg.stop();
  await rm(work, { recursive: true, force: true });
}
