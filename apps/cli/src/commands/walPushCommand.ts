import { spawn } from 'node:child_process';
import { createEncryptor, type JobConfig, selectJobs } from '@backup/config';
import { BackupError, resolveCompression } from '@backup/core';
import {
  acquireHelperLock,
  defaultWalSpoolDir,
  drainReadyWalFiles,
  liveHelper,
  MAX_WAL_PUSH_AHEAD,
  MAX_WAL_PUSH_PARALLEL,
  type PushWalFilesResult,
  pushWalFiles,
} from '@backup/postgres';
import type { CliContext } from '../CliContext.js';
import { walTargetFingerprint } from '../wal/walTarget.js';

/**
 * The job WAL commands work on: `--job NAME` when given (it must be a `postgres` job with
 * `mode: physical`), else the config's only physical PostgreSQL job.
 * @throws BackupError `CONFIG_INVALID` for an unknown or non-physical job, or when `--job` is
 *   needed to choose among several physical jobs (or there is none).
 */
export function resolveWalJob(ctx: CliContext, name: string | undefined): JobConfig {
  const physical = (job: JobConfig) => job.engine === 'postgres' && job.mode === 'physical';
  if (name !== undefined) {
    const job = ctx.job(name);
    if (!physical(job)) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Job ${name} is not a physical PostgreSQL job: WAL archiving needs engine: postgres with mode: physical (WAL is pruned with its base backups)`,
      );
    }
    return job;
  }
  const candidates = selectJobs(ctx.config).filter(physical);
  if (candidates.length !== 1) {
    throw new BackupError(
      'CONFIG_INVALID',
      candidates.length === 0
        ? `${ctx.configPath} has no job with engine: postgres and mode: physical`
        : `Several physical PostgreSQL jobs (${candidates.map((j) => j.name).join(', ')}): pass --job NAME`,
    );
  }
  return candidates[0]!;
}

/** Options of {@link walPushCommand} (flags of `backup wal-push`). */
export interface WalPushFlags {
  job?: string | undefined;
  /** `--parallel N`: files pushed at the same time (1..16; default 4). */
  parallel?: string | undefined;
  /** `--ahead N`: ready files pushed ahead besides the requested one (0..64; default 16; 0: none). */
  ahead?: string | undefined;
  /** `--spool-dir DIR`: where the markers of files pushed ahead go; default `pg_wal/backup_wal_push/`. */
  spoolDir?: string | undefined;
  /** `--no-helper` (false): push ahead inside this call instead of in the archive helper. */
  helper?: boolean | undefined;
  /** Hidden `--run-helper`: this process is the archive helper (`drainReadyWalFiles`). */
  runHelper?: boolean | undefined;
}

/**
 * `backup wal-push <path> [--job NAME] [--parallel N] [--ahead N] [--spool-dir DIR]`, PostgreSQL's
 * `archive_command` (`backup wal-push %p`): compresses (the job's compression), encrypts (the
 * config's `encryption:`) and stores one WAL file under `<job>/wal/<timeline>/` with
 * `pushWalFiles`: exit 0 only once it is durably stored or an identical copy already was; a
 * different file under the same name is refused (`STORAGE_CONFLICT`, exit 8) and never
 * overwritten. PostgreSQL retries a failed push until it succeeds (protocols.md 6.1). `<path>` is
 * relative to the data directory, the archiver's working directory. Segments, `.partial`,
 * `.backup` and `.history` files are accepted.
 *
 * Look-ahead (unless `--ahead 0`): an archive helper is started in the background (unless one
 * runs: `startHelper`) that pushes the files the server marked ready, up to `ahead` per round,
 * `parallel` at a time, until none has waited for 3 s (`drainReadyWalFiles`); with `--no-helper`
 * up to `ahead` of them are pushed within this call instead. Each file pushed ahead is recorded in a spool marker with its sha256 and the call's repository fingerprint
 * (`walTargetFingerprint`); the server's later call for such a file exits 0 from the marker when
 * the file still hashes the same (bin.ts, `walPushFastPath`, which also waits for the marker while
 * a helper lives), without loading the rest of the CLI. Resolves `undefined` for the helper.
 *
 * @throws BackupError `CONFIG_INVALID` (`--parallel` not an integer in 1..16, `--ahead` not one in
 *   0..64, unknown job), and
 *   the errors of `pushWalFile` for the requested file.
 */
export async function walPushCommand(
  ctx: CliContext,
  path: string,
  options: WalPushFlags,
): Promise<PushWalFilesResult | undefined> {
  const job = resolveWalJob(ctx, options.job);
  const integer = (flag: string, value: string | undefined, max: number, lowest: number) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < lowest || Number(value) > max) {
      throw new BackupError(
        'CONFIG_INVALID',
        `--${flag} must be an integer from ${lowest} to ${max}, got "${value}"`,
        {
          details: { field: flag },
        },
      );
    }
    return Number(value);
  };
  const parallel = integer('parallel', options.parallel, MAX_WAL_PUSH_PARALLEL, 1);
  const ahead = integer('ahead', options.ahead, MAX_WAL_PUSH_AHEAD, 0);
  const target = await walTargetFingerprint({ configPath: ctx.configPath, env: ctx.env, job: options.job });
  const push = {
    storage: ctx.storage,
    job: job.name,
    path,
    compression: resolveCompression(job.compression ?? ctx.config.compression),
    encryptor: createEncryptor(ctx.config.encryption),
    logger: ctx.logger,
    parallel,
    ahead,
    spoolDir: options.spoolDir,
    // Without a readable config there is no context here; a fingerprint no marker matches.
    target: target ?? `unreadable:${Date.now()}`,
  };
  if (options.runHelper) {
    await drainReadyWalFiles({ ...push, signal: ctx.signal });
    return undefined;
  }
  if ((ahead ?? 16) === 0 || options.helper === false) return pushWalFiles(push);
  await startHelper(options.spoolDir ?? defaultWalSpoolDir(path), push.target, ctx.env);
  return pushWalFiles({ ...push, ahead: 0 });
}

/**
 * Starts the archive helper unless a live one holds the lock: this very command line plus
 * `--run-helper`, detached (own session, no stdio), and writes its pid and `target` into the lock
 * at once so the next call waits for it instead of pushing by itself. A live helper pushing for
 * another fingerprint (the config, job or environment changed) is stopped with SIGTERM (it ends
 * after its current round); the next call starts a new one. Best effort: any failure only means no
 * look-ahead for this call.
 */
async function startHelper(spoolDir: string, target: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const running = await liveHelper(spoolDir);
    if (running) {
      if (running.target !== target) process.kill(running.pid, 'SIGTERM');
      return;
    }
    const script = process.argv[1];
    if (!script) return;
    const child = spawn(
      process.execPath,
      [...process.execArgv, script, ...process.argv.slice(2), '--run-helper'],
      {
        detached: true,
        stdio: 'ignore',
        env,
      },
    );
    child.on('error', () => {});
    child.unref();
    if (child.pid !== undefined && !(await acquireHelperLock(spoolDir, child.pid, target))) child.kill();
  } catch {
    // no helper: this call still pushes its own file
  }
}
