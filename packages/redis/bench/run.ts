// Benchmark of the Redis engine against redis-cli, on generated data. Not a test: run with
// `node bench/run.ts` in packages/redis after `pnpm build` (it imports @backup/redis from dist).
//
//   node bench/run.ts [--keys=<default 1000000>] [--runs=<default 8>] [--rdb-only] [--sync-delay=<s>]
//                     [--sync=diskless|disk|both] [--skip-zstd] [--pin]
//   (or BENCH_KEYS / BENCH_RUNS; --rdb-only measures (a)-(c) only; --sync-delay sets the server's
//   repl-diskless-sync-delay, default 0: --sync-delay=5 is Redis' own default, the setting the
//   baseline in shared/notes/performance.md was measured with; --sync picks the sync modes,
//   default both; --skip-zstd (with --rdb-only) leaves out (c) and (c1): with --sync=diskless a
//   run takes ~10-15 s instead of ~45 s, so 100 runs narrow the (b) interval in 20-25 minutes;
//   --pin puts the source redis-server and its fork children on CPU 0 and every measured client
//   on CPU 1 (taskset), see "Pinned" below)
//
// Pinned (--pin): unpinned, the clients share the machine's 2 cores with the server, whose side
// of a transfer (the fork child serializing the RDB, the parent relaying it) keeps about one core
// busy, so whatever CPU a client spends (Node's threads, SHA-256, GC) can slow the server it is
// measured against: in a diskless transfer that lands in the client's own time. --pin keeps every
// client off the server's core, as a backup pod on its own cores would be; each client then has
// one core for everything, which shows in the disk-based rows (the server sends a finished file
// as fast as the client reads). The server's parent and fork child share one core, the same for
// every client; a longer server time would shrink every ratio's excess over 1, so compare the
// server-work column with an unpinned bench (100 runs each, 2026-11-22: median 2235 ms pinned,
// 2096 and 2333 ms unpinned). docs/performance.md has both.
//
// Data: a mix of agent/session-like keys: 85% strings (~120-byte JSON), 10% hashes (4 fields),
// 2.5% lists (8 items), 2.5% sorted sets (8 members), loaded with `redis-cli --pipe`. The server is
// redis-server 7.0 from PATH with repl-diskless-sync-delay 0 (the default 5 s delay would add the
// same 5 s to both sides and hide the difference). Reports min and median over the runs of:
//   (a) redis-cli --rdb <file>                      baseline, diskless and disk-based sync
//   (n) bench/nodeFloor.mjs <file>                  control: the least a Node process can do
//       (redis-cli's handshake, synchronous file writes, fsync; no pipeline, digest or manifest)
//   (h) bench/nodeFloor.mjs <file> --sha256         control: (n) plus the SHA-256 of the payload,
//       which docs/format.md requires of every artifact: the least a Node process can do to take
//       an RDB in our format; (b) against (h) is what our pipeline adds beyond it
//   (b) ours: RDB backup -> fs, no compression      the same work as (a): pull + write a file
//   (c) ours: RDB backup -> fs, zstd-3 (default)    the production pipeline
//   (c1) ours: RDB backup -> fs, zstd-1             the per-job `compression: { algorithm: zstd, level: 1 }`
//   (d) ours: keys-mode export -> fs, zstd-3        keys/s
//   (e) ours: keys-mode restore <- (d) into an empty server     keys/s
//   (f) ours: RDB restore over the network <- (c) (parse + RESTORE)   keys/s
// and ratios (b)/(a), (c)/(a) against the target <= 1.05x (shared/notes/performance.md), plus the
// peak RSS of the backup processes. Within a run (a), (b), (c) and (a) again run back to back in
// an order rotated every run, each after the server is idle again (no fork child, no replica
// link); the target is judged on the median of the per-run ratios (ours / the mean of the run's
// two redis-cli times), which cancels the drift between runs, and the second redis-cli time / the
// first (the A/A control) shows the spread the bench cannot resolve. Each per-run median comes
// with its 95 % confidence interval (order statistics, no assumption about the distribution):
// a target verdict whose interval straddles 1.05x says "unresolved", as more runs are needed to
// tell (8 runs give the whole range; 24 runs the 7th to the 18th of the sorted ratios).
// Each of (b)-(d) runs in its own child process
// (bench/backupChild.mjs, with --max-semi-space-size=1 as the bins) and is reported twice: the
// `runBackup` call alone (after imports), and the whole child process from spawn to exit (node
// start, module loading, runBackup, exit), which is what `redis-cli --rdb` (a) is timed as.
// A second table takes the server's own work out (its log: BGSAVE start to the fork child's end)
// and compares the clients' overheads on top of one median server time: the server's time varies
// +-15 % from run to run here, which the per-run ratios cannot cancel.
// Both sides use the same server with the same settings (repl-diskless-sync-delay 0), one after
// the other, so the fork and the server's RDB serialization are in both.
// (The `backup` CLI also loads its config, logging and metrics: it starts a backup ~50-100 ms later.)

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = (await import('@backup/core' as string)) as typeof import('@backup/core');
const { createRedisEngine } = (await import('@backup/redis' as string)) as typeof import('../src/index.js');
const services = (await import('@backup/test-services' as string)) as typeof import('@backup/test-services');

const MIB = 1024 * 1024;
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v] as const;
  }),
);
const keyCount = Math.floor(Number(args.get('keys') ?? process.env['BENCH_KEYS'] ?? 1_000_000));
const runs = Math.max(1, Math.floor(Number(args.get('runs') ?? process.env['BENCH_RUNS'] ?? 8)));
if (!(keyCount > 0)) throw new Error('--keys must be a positive number');
const rdbOnly = args.has('rdb-only');
const syncDelaySeconds = Number(args.get('sync-delay') ?? 0);
if (!(Number.isInteger(syncDelaySeconds) && syncDelaySeconds >= 0)) {
  throw new Error('--sync-delay must be a whole number of seconds, 0 or more');
}
const syncArg = args.get('sync') ?? 'both';
if (syncArg !== 'diskless' && syncArg !== 'disk' && syncArg !== 'both') {
  throw new Error(`--sync must be diskless, disk or both, not ${syncArg}`);
}
const syncModes = syncArg === 'both' ? (['diskless', 'disk'] as const) : ([syncArg] as const);
const skipZstd = args.has('skip-zstd');
const pin = args.has('pin');
if (pin && availableParallelism() < 2) throw new Error('--pin needs at least 2 CPUs');
if (skipZstd && !rdbOnly)
  throw new Error('--skip-zstd needs --rdb-only: the RDB restore (f) reads the zstd-3 set');
const here = dirname(fileURLToPath(import.meta.url));

/** What bench/run.ts passes to this child. */
export interface ChildConfig {
  url: string;
  mode: 'rdb' | 'keys';
  job: string;
  repo: string;
  compression: 'zstd' | 'none';
  /** zstd level; default 3 (the config's default). */
  level?: number;
}

/**
 * `command` and `argv` as spawned for a measured client: with --pin, through `taskset -c 1`
 * (every client alike, so each pays taskset's exec).
 */
function onClientCpu(command: string, argv: string[]): [string, string[]] {
  return pin ? ['taskset', ['-c', '1', command, ...argv]] : [command, argv];
}

/** Runs a command and resolves with its wall time in ms. */
function timeCommand(
  command: string,
  argv: string[],
  input?: (stdin: NodeJS.WritableStream) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${command} failed (${code}): ${stderr}`)),
    );
    if (input && child.stdin) input(child.stdin).catch(reject);
  });
}

function runChild(config: ChildConfig): Promise<{
  ms: number;
  processMs: number;
  maxRssBytes: number;
  plaintextBytes: number;
  storedBytes: number;
  records: number;
}> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // As the backup bins run (apps/cli/src/bin.ts): a 1 MiB young generation frees spent Buffers promptly.
    const child = spawn(
      ...onClientCpu(process.execPath, [
        '--max-semi-space-size=1',
        join(here, 'backupChild.mjs'),
        JSON.stringify(config),
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
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
      const processMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`backup child failed (${code}): ${err}`));
      resolve({ ...JSON.parse(out.trim().split('\n').pop()!), processMs });
    });
  });
}

/** RESP array of bulk strings. */
function resp(parts: string[]): string {
  let s = `*${parts.length}\r\n`;
  for (const p of parts) s += `$${Buffer.byteLength(p)}\r\n${p}\r\n`;
  return s;
}

/** Writes the generated data set as RESP commands (for redis-cli --pipe). */
async function writeDataset(stdin: NodeJS.WritableStream): Promise<void> {
  const write = (text: string) =>
    new Promise<void>((resolve) => {
      if (stdin.write(text)) resolve();
      else stdin.once('drain', () => resolve());
    });
  const noise = randomBytes(1 << 20).toString('base64');
  let batch = '';
  for (let i = 0; i < keyCount; i++) {
    const r = i % 40;
    const blob = noise.slice((i * 37) % (noise.length - 64), ((i * 37) % (noise.length - 64)) + 48);
    if (r < 34) {
      batch += resp([
        'SET',
        `session:${i}`,
        `{"user":${i % 50_000},"thread":"t-${i % 977}","ts":${1_760_000_000 + i},"state":"${blob}"}`,
        ...(i % 5 === 0 ? ['EX', String(86_400 + (i % 3600))] : []),
      ]);
    } else if (r < 38) {
      batch += resp([
        'HSET',
        `memory:${i}`,
        'role',
        'assistant',
        'tokens',
        String(i % 4096),
        'summary',
        blob,
        'score',
        String(i % 100),
      ]);
    } else if (r === 38) {
      batch += resp(['RPUSH', `queue:${i}`, ...Array.from({ length: 8 }, (_, k) => `job-${i}-${k}`)]);
    } else {
      batch += resp([
        'ZADD',
        `rank:${i}`,
        ...Array.from({ length: 8 }, (_, k) => [String(k * 1.5), `m${k}`]).flat(),
      ]);
    }
    if (batch.length > 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch);
  stdin.end();
}

/** `xs` rotated left by `by` places. */
function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/**
 * Distribution-free confidence interval of the median of `xs` (order statistics, e.g. Conover,
 * "Practical Nonparametric Statistics", 3rd ed., section 3.2): the k-th smallest to the k-th
 * largest value, with the largest k for which the binomial(n, 1/2) tails below k leave at least
 * 95 % coverage. Undefined for fewer than 6 values (no such k). With 8 runs it is the whole range
 * (99.2 %); with 16, the 4th to the 13th value (97.9 %); with 24, the 7th to the 18th (97.7 %).
 */
const medianInterval = (xs: number[]): [number, number] | undefined => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  // tail(j) = P(X <= j) for X ~ binomial(n, 1/2)
  let choose = 1;
  let tail = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    tail += choose / 2 ** n;
    if (2 * tail > 0.05) break;
    k = j + 1;
    choose = (choose * (n - j)) / (j + 1);
  }
  return k === 0 ? undefined : [s[k - 1]!, s[n - k]!];
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const rate = (ms: number) => `${Math.round(keyCount / (ms / 1000)).toLocaleString('en-US')} keys/s`;

const source = await services.startRedis({ disklessSync: true, disklessSyncDelaySeconds: syncDelaySeconds });
const target = await services.startRedis();
// --pin: the source server, its threads (-a) and the fork children it starts from now on, on CPU 0.
if (pin) execFileSync('taskset', ['-a', '-p', '0x1', String(source.pid)], { stdio: 'ignore' });
const work = await mkdtemp(join(tmpdir(), 'redis-bench-'));
/**
 * Waits until the source server has no fork child and no replica link left from the previous
 * measurement, then 100 ms more. Without it the next SYNC can start while the last BGSAVE child
 * is still exiting, and the server makes it wait for the next BGSAVE: a delay that falls on
 * whichever side runs second.
 */
async function waitForIdleServer(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const info = await source.cli(['info']);
    const busy =
      /rdb_bgsave_in_progress:1/.test(info) ||
      !/connected_slaves:0\r?\n/.test(info) ||
      /current_fork_perc:(?!0\.00)/.test(info);
    if (!busy) break;
    if (Date.now() > deadline) throw new Error(`redis-server still busy after 30 s:\n${info}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100));
}

const serverLog = join(source.dir, 'redis.log');
/** Time of a redis-server log line (`pid:role DD Mon YYYY HH:MM:SS.mmm ...`), in ms; NaN if none. */
function logTime(line: string | undefined): number {
  const m = /^\d+:\w (\d+ \w+ \d+ [\d:.]+)/.exec(line ?? '');
  return m ? Date.parse(`${m[1]}Z`) : Number.NaN;
}
/** Bytes of the server log so far: where the next measurement's lines start. */
const logSize = async (): Promise<number> => (await stat(serverLog)).size;
/**
 * The server's own work for the last SYNC, in ms, from its log written since `offset`: from
 * "Starting BGSAVE for SYNC" to "Background saving terminated" (disk-based: the child wrote the
 * RDB to disk and the parent noticed, so the transfer starts; the client waits idle meanwhile, so
 * this time does not depend on it) or to "Diskless rdb transfer, done reading from pipe" (the
 * parent has relayed the child's last byte to the socket; since the child streams into the
 * client's socket, a slow reader would lengthen this time).
 */
async function serverWorkMs(offset: number, sync: 'disk' | 'diskless'): Promise<number> {
  const file = await open(serverLog);
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await file.read(buffer, 0, buffer.length, offset);
    const lines = buffer.toString('utf8').split('\n');
    const start = logTime(lines.find((l) => l.includes('Starting BGSAVE for SYNC')));
    const endLine = sync === 'disk' ? 'Background saving terminated' : 'done reading from pipe';
    const end = logTime(lines.find((l) => l.includes(endLine)));
    return end - start;
  } finally {
    await file.close();
  }
}

try {
  console.log(`Generating ${keyCount.toLocaleString('en-US')} keys with redis-cli --pipe...`);
  const genMs = await timeCommand('redis-cli', ['-p', String(source.port), '--pipe'], writeDataset);
  const info = await source.cli(['info', 'memory']);
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  const dbsize = Number((await source.cli(['dbsize'])).trim());
  if (dbsize !== keyCount) throw new Error(`expected ${keyCount} keys, the server has ${dbsize}`);
  console.log(`Loaded in ${seconds(genMs)} s: ${mb(used)} used memory`);

  const results: Record<string, number[]> = {};
  const push = (k: string, v: number) => {
    results[k] ??= [];
    results[k].push(v);
  };
  const rss: number[] = [];
  const keysRss: number[] = [];
  let rdbBytes = 0;
  let rdbStored = 0;
  let rdbStoredLevel1 = 0;
  let keysStored = 0;
  for (let run = 1; run <= runs; run++) {
    for (const sync of syncModes) {
      await source.cli(['config', 'set', 'repl-diskless-sync', sync === 'diskless' ? 'yes' : 'no']);
      // (a), (b), (c) and (a) again ('A': the A/A control) in an order rotated every run, so
      // none of them always runs first, and each ratio can also be taken within one run, seconds
      // apart: (b) / the mean of that run's two redis-cli times. A/A = the second redis-cli time
      // / the first: what the bench itself cannot tell apart on this machine.
      // (g) is the (c1) row: zstd level 1.
      // (n) is the Node floor control (bench/nodeFloor.mjs), (h) the same with --sha256.
      const order = rotate(
        skipZstd ? (['a', 'b', 'A', 'n', 'h'] as const) : (['a', 'b', 'A', 'n', 'h', 'c', 'g'] as const),
        run - 1,
      );
      const times: Record<string, number> = {};
      for (const measure of order) {
        await waitForIdleServer();
        const logOffset = await logSize();
        if (measure === 'a' || measure === 'A' || measure === 'n' || measure === 'h') {
          // A process that writes the RDB to a file: redis-cli, or the Node floor (bench/nodeFloor.mjs,
          // with --sha256 for (h)).
          const floor = measure === 'n' || measure === 'h';
          const file = join(work, floor ? 'node-floor.rdb' : 'baseline.rdb');
          const floorArgs = [join(here, 'nodeFloor.mjs'), String(source.port), file];
          if (measure === 'h') floorArgs.push('--sha256');
          times[measure] = floor
            ? await timeCommand(...onClientCpu(process.execPath, floorArgs))
            : await timeCommand(...onClientCpu('redis-cli', ['-p', String(source.port), '--rdb', file]));
          push(`${measure}-${sync}`, times[measure]);
          const serverMs = await serverWorkMs(logOffset, sync);
          push(`srv-${measure}-${sync}`, serverMs);
          push(`ovh-${measure}-${sync}`, times[measure] - serverMs);
          const bytes = (await stat(file)).size;
          if (!floor) {
            rdbBytes = bytes;
          } else if (rdbBytes > 0 && Math.abs(bytes - rdbBytes) > 1024) {
            // The same RDB as redis-cli's, up to the aux fields (times, used-mem) that differ by a few bytes.
            throw new Error(`nodeFloor.mjs wrote ${bytes} bytes, redis-cli ${rdbBytes}`);
          }
          await rm(file);
          continue;
        }
        const compression = measure === 'b' ? 'none' : 'zstd';
        const level = measure === 'g' ? 1 : 3;
        const repo = join(work, `repo-${sync}-${compression}-${level}-${run}`);
        await mkdir(repo);
        const ours = await runChild({ url: source.url(), mode: 'rdb', job: 'rdb', repo, compression, level });
        times[measure] = ours.ms;
        times[`${measure}p`] = ours.processMs;
        push(`${measure}-${sync}`, ours.ms);
        push(`${measure}p-${sync}`, ours.processMs);
        const serverMs = await serverWorkMs(logOffset, sync);
        push(`srv-${measure}-${sync}`, serverMs);
        push(`ovh-${measure}-${sync}`, ours.processMs - serverMs);
        rss.push(ours.maxRssBytes);
        if (measure === 'c') rdbStored = ours.storedBytes;
        if (measure === 'g') rdbStoredLevel1 = ours.storedBytes;
        if (!(run === runs && sync === 'diskless' && measure === 'c')) await rm(repo, { recursive: true });
      }
      const baseline = (times['a']! + times['A']!) / 2;
      for (const k of ['b', 'bp', 'c', 'cp', 'g', 'gp', 'n', 'h']) {
        if (times[k] !== undefined) push(`${k}-${sync}/a`, times[k] / baseline);
      }
      push(`A-${sync}/a`, times['A']! / times['a']!);
      // Our whole process against the Node floor of the same run: what our code adds to Node's own.
      push(`bp-${sync}/n`, times['bp']! / times['n']!);
      // ... and against the floor with the digest: what our code adds beyond what the format needs.
      push(`bp-${sync}/h`, times['bp']! / times['h']!);
    }
    if (rdbOnly) {
      console.log(`run ${run}/${runs} done`);
      continue;
    }
    // (d) keys-mode export
    const keysRepo = join(work, `keys-${run}`);
    await mkdir(keysRepo);
    const keys = await runChild({
      url: source.url(),
      mode: 'keys',
      job: 'keys',
      repo: keysRepo,
      compression: 'zstd',
    });
    if (keys.records !== keyCount) throw new Error(`keys export wrote ${keys.records} records`);
    push('d', keys.ms);
    keysRss.push(keys.maxRssBytes);
    keysStored = keys.storedBytes;

    // (e) keys-mode restore into the empty target
    const restoreFrom = async (repo: string, job: string, mode: 'rdb' | 'keys') => {
      await target.cli(['flushall']);
      const catalog = new core.Catalog(new core.FsStorage({ path: repo }));
      const manifest = await catalog.resolve(job, 'latest');
      const started = performance.now();
      await core.restoreBackup({
        catalog,
        manifest,
        engine: createRedisEngine({ url: source.url(), mode }),
        options: { targetUrl: target.url() },
      });
      const ms = performance.now() - started;
      const restored = Number((await target.cli(['dbsize'])).trim());
      if (restored !== keyCount) throw new Error(`restore left ${restored} keys, expected ${keyCount}`);
      return ms;
    };
    push('e', await restoreFrom(keysRepo, 'keys', 'keys'));
    await rm(keysRepo, { recursive: true });
    if (run === runs) {
      for (let r = 1; r <= runs; r++)
        push('f', await restoreFrom(join(work, `repo-diskless-zstd-3-${runs}`), 'rdb', 'rdb'));
    }
    console.log(`run ${run}/${runs} done`);
  }

  // ---- report -----------------------------------------------------------------------------
  // Ratios: of the mins and of the medians over all runs, and the median of the per-run ratios
  // (each run's ours / the mean of its two redis-cli times, taken seconds apart) with their
  // range: the pairing cancels the drift between runs, which on these 2 shared cores is larger
  // than the 5 % being measured. The target is judged on the paired median; the A/A row shows
  // how far two redis-cli runs of the same run already differ.
  const row = (
    label: string,
    key: string,
    base?: string,
    target?: string,
    rates = false,
    pairedKey = `${key}/a`,
  ): string[] => {
    const xs = results[key] ?? [];
    if (xs.length === 0) return [label, 'skipped', '', '', '', '', '', ''];
    const b = base ? results[base] : undefined;
    const ratio = b ? [min(xs) / min(b), median(xs) / median(b)] : undefined;
    const paired = b ? results[pairedKey] : undefined;
    const pairedMedian = paired ? median(paired) : undefined;
    // A median that rounds to 1.050x but is over says so with its fourth decimal.
    const over =
      pairedMedian !== undefined && pairedMedian.toFixed(3) === '1.050'
        ? ` (${pairedMedian.toFixed(4)}x)`
        : '';
    const pass = pairedMedian !== undefined && target ? (pairedMedian <= 1.05 ? 'ok' : `OVER${over}`) : '';
    const interval = paired ? medianInterval(paired) : undefined;
    // Whether the runs could tell: the median's 95 % interval lies on one side of the target.
    const resolved =
      interval && target ? (interval[1] <= 1.05 || interval[0] > 1.05 ? '' : ', unresolved') : '';
    return [
      label,
      seconds(min(xs)),
      seconds(median(xs)),
      ratio ? `${ratio[0]!.toFixed(2)}x` : rates ? rate(min(xs)) : '',
      ratio ? `${ratio[1]!.toFixed(2)}x` : rates ? rate(median(xs)) : '',
      paired && pairedMedian !== undefined
        ? `${pairedMedian.toFixed(3)}x (${min(paired).toFixed(2)}-${Math.max(...paired).toFixed(2)})`
        : '',
      interval ? `${interval[0].toFixed(3)}-${interval[1].toFixed(3)}x` : '',
      target ? `${target} ${pass}${resolved}` : '',
    ];
  };
  // The RDB rows of one sync mode; rows of modes this run left out print nothing (see below).
  const syncRows = (sync: 'diskless' | 'disk'): string[][] => {
    const k = (measure: string) => `${measure}-${sync}`;
    const mode = sync === 'disk' ? 'disk-based' : 'diskless';
    return [
      row(`(a) redis-cli --rdb file (${mode} sync)`, k('a')),
      row('(a) again in the same run: A/A control', k('A'), k('a')),
      row('(n) Node floor: bench/nodeFloor.mjs, whole process', k('n'), k('a')),
      row('(h) Node floor + SHA-256: nodeFloor.mjs --sha256, whole process', k('h'), k('a')),
      row(`(b) ours: runBackup RDB -> fs, no compression (${sync})`, k('b'), k('a'), '<= 1.05x'),
      row('(b) same, whole process (node start + imports + exit)', k('bp'), k('a'), '<= 1.05x'),
      row('(b) whole process against (n), the Node floor', k('bp'), k('n'), '', false, `${k('bp')}/n`),
      row('(b) whole process against (h), the floor + SHA-256', k('bp'), k('h'), '', false, `${k('bp')}/h`),
      row(`(c) ours: runBackup RDB -> fs, zstd-3 (${sync})`, k('c'), k('a'), '<= 1.05x'),
      row('(c) same, whole process', k('cp'), k('a'), '<= 1.05x'),
      row(`(c1) ours: runBackup RDB -> fs, zstd-1 (${sync})`, k('g'), k('a'), '<= 1.05x'),
      row('(c1) same, whole process', k('gp'), k('a'), '<= 1.05x'),
    ];
  };
  const table = [
    [
      'measure',
      'min s',
      'median s',
      'ratio of mins / rate',
      'ratio of medians / rate',
      'per-run ratio: median (range)',
      '95% interval of the median',
      'target',
    ],
    ...(['diskless', 'disk'] as const).flatMap(syncRows),
    row('(d) ours: keys export -> fs, zstd-3', 'd', undefined, undefined, true),
    row('(e) ours: keys restore -> empty server', 'e', undefined, undefined, true),
    row('(f) ours: RDB restore over the network', 'f', undefined, undefined, true),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const line = (r: string[]) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  console.log('');
  console.log(
    `redis-server ${source.version}, repl-diskless-sync-delay ${syncDelaySeconds}, ${keyCount.toLocaleString('en-US')} keys, ${mb(used)} used memory, ${runs} run(s); ` +
      `RDB ${mb(rdbBytes)}${skipZstd ? '' : ` (stored zstd-3 ${mb(rdbStored)}, zstd-1 ${mb(rdbStoredLevel1)})`}${rdbOnly ? '' : `, keys artifact stored ${mb(keysStored)}`}; sync: ${syncModes.join(', ')}${pin ? '; pinned: server on CPU 0, clients on CPU 1' : ''}`,
  );
  console.log(line(table[0]!));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  // Rows of measures this run left out (--rdb-only, --sync, --skip-zstd) are not printed.
  for (const r of table.slice(1)) if (r[1] !== 'skipped') console.log(line(r));
  const peak = (label: string, xs: number[]) =>
    xs.length === 0
      ? undefined
      : console.log(
          `peak RSS of ${label}: max ${(Math.max(...xs) / MIB).toFixed(1)} MiB, median ${(median(xs) / MIB).toFixed(1)} MiB (target <= 150 MiB)`,
        );
  // Second view, with the server's own work taken out: every measurement's wall time minus the
  // server's time for its SYNC (its log: BGSAVE start to the fork child's end) is the client's
  // overhead (start-up, handshake, the transfer after BGSAVE, the final fsync, exit). The server's
  // time varies by +-15 % between runs on these shared cores, the same for both clients, and
  // dominates the spread of the per-run ratios above; here it is replaced by one number, the
  // median server time S of all measurements of that sync mode: estimate = (S + overhead) /
  // (S + redis-cli's overhead), medians. Disk-based: the child writes the RDB before any byte
  // goes out, so S does not depend on the client. Diskless: the child streams into the client's
  // socket, so a slower reader would lengthen S and hide in it; the server-time column shows that.
  const adjusted: string[][] = [
    ['measure', 'server work: median ms', 'client overhead: median ms (range)', 'estimate vs (a)', 'target'],
  ];
  for (const sync of ['diskless', 'disk'] as const) {
    const all = ['a', 'A', 'n', 'h', 'b', 'c', 'g'].flatMap((k) => results[`srv-${k}-${sync}`] ?? []);
    if (all.length === 0) continue;
    const S = median(all);
    const base = median(results[`ovh-a-${sync}`] ?? [Number.NaN]);
    for (const [k, label] of [
      ['a', `(a) redis-cli --rdb (${sync})`],
      ['A', '(a) again: A/A control'],
      ['n', '(n) Node floor, whole process'],
      ['h', '(h) Node floor + SHA-256, whole process'],
      ['b', '(b) ours, no compression, whole process'],
      ['c', '(c) ours, zstd-3, whole process'],
      ['g', '(c1) ours, zstd-1, whole process'],
    ] as const) {
      const srv = results[`srv-${k}-${sync}`] ?? [];
      const ovh = results[`ovh-${k}-${sync}`] ?? [];
      if (ovh.length === 0) continue;
      const estimate = (S + median(ovh)) / (S + base);
      const isOurs = k === 'b' || k === 'c' || k === 'g';
      adjusted.push([
        label,
        `${Math.round(median(srv))}`,
        `${Math.round(median(ovh))} (${Math.round(min(ovh))}-${Math.round(Math.max(...ovh))})`,
        k === 'a' ? `S = ${Math.round(S)} ms` : `${estimate.toFixed(3)}x`,
        // Diskless: what our client costs the server is in its time (column 2), not here.
        isOurs ? (sync === 'disk' ? `<= 1.05x ${estimate <= 1.05 ? 'ok' : 'OVER'}` : 'lower bound') : '',
      ]);
    }
  }
  const widths2 = adjusted[0]!.map((_, i) => Math.max(...adjusted.map((r) => String(r[i]).length)));
  const line2 = (r: string[]) => `| ${r.map((c, i) => String(c).padEnd(widths2[i]!)).join(' | ')} |`;
  console.log('');
  console.log("With the server's own work taken out (its log; see the comment in bench/run.ts):");
  console.log(line2(adjusted[0]!));
  console.log(line2(widths2.map((w) => '-'.repeat(w))));
  for (const r of adjusted.slice(1)) console.log(line2(r));
  console.log('');
  peak('our RDB backup processes', rss);
  peak('our keys-mode backup processes', keysRss);
} finally {
  await Promise.all([source.stop(), target.stop()]);
  await rm(work, { recursive: true, force: true });
}
