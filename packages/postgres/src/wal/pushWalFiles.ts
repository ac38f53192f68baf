import { basename, dirname, join } from 'node:path';
import { BackupError, type Logger, silentLogger } from '@backup/core';
import { type PushWalFileOptions, type PushWalFileResult, pushWalFile } from './pushWalFile.js';
import { requireWalFile } from './walFileKind.js';
import { walSidecarKey } from './walKeys.js';
import {
  acquireHelperLock,
  archiveStatusDir,
  defaultWalSpoolDir,
  HELPER_LOCK_STALE_MS,
  listReadyWalFiles,
  listSpoolMarkers,
  pruneSpoolMarkers,
  readSpoolMarker,
  releaseHelperLock,
  removeSpoolMarker,
  writeSpoolMarker,
} from './walSpool.js';

/** Largest `parallel` {@link pushWalFiles} accepts. */
export const MAX_WAL_PUSH_PARALLEL = 16;
/** Largest `ahead` {@link pushWalFiles} accepts. */
export const MAX_WAL_PUSH_AHEAD = 64;

/** Options of {@link pushWalFiles}: those of `pushWalFile` plus the look-ahead. */
export interface PushWalFilesOptions extends PushWalFileOptions {
  /**
   * How many files are pushed at the same time (1 to 16; default 4). Memory: about 2 x `parallel`
   * x the segment size (16 MiB by default).
   */
  parallel?: number | undefined;
  /**
   * How many of the oldest other files PostgreSQL marked ready (`pg_wal/archive_status/*.ready`)
   * this call pushes besides the requested one (0 to 64; default 16; 0 turns the look-ahead off).
   */
  ahead?: number | undefined;
  /** Directory of the spool markers; default `pg_wal/backup_wal_push/` next to `path`. */
  spoolDir?: string | undefined;
  /**
   * Repository fingerprint written into every marker (compared for equality by the marker check of
   * later calls: `markerProves`): must change whenever the config, environment or job could name
   * another repository or job. Required.
   */
  target: string;
}

/** Outcome of {@link pushWalFiles}. */
export interface PushWalFilesResult {
  /** The requested file's outcome: this is what the exit status reports. */
  requested: PushWalFileResult;
  /** Files pushed ahead and recorded in a marker. */
  ahead: PushWalFileResult[];
  /** Files pushed ahead that failed (logged; PostgreSQL's own call for them pushes again). */
  aheadFailed: Array<{ name: string; code: string; message: string }>;
}

/**
 * `archive_command` with look-ahead, as WAL-G (`WALG_UPLOAD_CONCURRENCY`, `.ready` look-ahead)
 * and pgBackRest's asynchronous archive-push do: pushes the file PostgreSQL asked for (`path`) and
 * up to `ahead` more files the server has marked ready, oldest first (`listReadyWalFiles`),
 * `parallel` at a time. Every file goes through `pushWalFile` (durable, never overwrites,
 * idempotent). For each file pushed ahead a spool marker is written once its sidecar commit
 * returned, recording its name, size, plaintext sha256 and `target`; PostgreSQL's later
 * `archive_command` call for that file then exits 0 without pushing again, but only when the file
 * still hashes to the recorded sha256 and the call's fingerprint equals `target` (the CLI checks
 * this before loading anything else: `markerProves`). Files already covered by a marker of the same
 * target are not pushed again; markers of files no longer `.ready` are removed first
 * (`pruneSpoolMarkers`), and the requested file's marker after it is archived.
 *
 * Resolves when the requested file is archived, whatever happened to the files pushed ahead
 * (their failures are logged and returned). Pushes ahead are skipped when `path` is not inside a
 * data directory's `pg_wal` (no `archive_status` beside it).
 *
 * @throws BackupError `CONFIG_INVALID` (`parallel` not an integer in 1..16, `ahead` not one in
 *   0..64, bad WAL file name), and
 *   what `pushWalFile` throws for the requested file (`SOURCE_FAILED`, `STORAGE_CONFLICT`,
 *   `STORAGE_UNREACHABLE`).
 */
export async function pushWalFiles(options: PushWalFilesOptions): Promise<PushWalFilesResult> {
  const parallel = options.parallel ?? 4;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_WAL_PUSH_PARALLEL) {
    throw new BackupError(
      'CONFIG_INVALID',
      `parallel must be an integer from 1 to ${MAX_WAL_PUSH_PARALLEL}, got ${String(options.parallel)}`,
      { details: { field: 'parallel' } },
    );
  }
  const aheadMax = options.ahead ?? 16;
  if (!Number.isInteger(aheadMax) || aheadMax < 0 || aheadMax > MAX_WAL_PUSH_AHEAD) {
    throw new BackupError(
      'CONFIG_INVALID',
      `ahead must be an integer from 0 to ${MAX_WAL_PUSH_AHEAD}, got ${String(options.ahead)}`,
      { details: { field: 'ahead' } },
    );
  }
  const logger = options.logger ?? silentLogger;
  const requestedName = requireWalFile(basename(options.path)).name;
  const spoolDir = options.spoolDir ?? defaultWalSpoolDir(options.path);
  // The requested file first, then the others oldest first, `parallel` at a time. Waits for the
  // pushes ahead even when the requested one failed: none is cut off half-way.
  const requestedPush = pushWalFile(options);
  requestedPush.catch(() => {});
  const { ahead, aheadFailed } = await pushAheadRound(options, {
    exclude: requestedName,
    aheadMax,
    parallel,
    first: requestedPush,
    logger,
  });
  const requested = await requestedPush;
  await removeSpoolMarker(spoolDir, requestedName).catch(() => {});
  if (ahead.length > 0 || aheadFailed.length > 0) {
    logger.info(
      { job: options.job, name: requestedName, ahead: ahead.map((r) => r.name), failed: aheadFailed.length },
      'WAL files pushed ahead',
    );
  }
  return { requested, ahead, aheadFailed };
}

/**
 * One look-ahead round: pushes up to `aheadMax` of the oldest ready files (except `exclude` and
 * files already covered by a marker of `options.target`), `parallel` at a time (one slot waits for
 * `first` when given), and writes a marker for each one stored.
 */
async function pushAheadRound(
  options: PushWalFilesOptions,
  round: {
    exclude: string | undefined;
    aheadMax: number;
    parallel: number;
    first?: Promise<unknown> | undefined;
    logger: Logger;
  },
): Promise<Pick<PushWalFilesResult, 'ahead' | 'aheadFailed'> & { pruned: string[] }> {
  const spoolDir = options.spoolDir ?? defaultWalSpoolDir(options.path);
  const statusDir = archiveStatusDir(options.path);
  const candidates: string[] = [];
  let pruned: string[] = [];
  if (round.aheadMax > 0) {
    pruned = await pruneSpoolMarkers(spoolDir, statusDir).catch(() => []);
    for (const name of await listReadyWalFiles(statusDir)) {
      if (candidates.length >= round.aheadMax) break;
      if (name === round.exclude) continue;
      const marker = await readSpoolMarker(spoolDir, name);
      if (marker?.target === options.target) continue;
      candidates.push(name);
    }
  }
  const ahead: PushWalFileResult[] = [];
  const aheadFailed: PushWalFilesResult['aheadFailed'] = [];
  const pushAhead = async (name: string) => {
    const path = join(dirname(options.path), name);
    try {
      const result = await pushWalFile({ ...options, path, logger: silentLogger });
      await writeSpoolMarker(spoolDir, {
        formatVersion: 1,
        name,
        plaintextSha256: result.plaintextSha256,
        plaintextBytes: result.plaintextBytes,
        target: options.target,
        sidecarKey: walSidecarKey(options.job, requireWalFile(name)),
        archivedAt: new Date().toISOString(),
      });
      ahead.push(result);
    } catch (error) {
      const code = error instanceof BackupError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      aheadFailed.push({ name, code, message });
      round.logger.warn(
        { name, code, err: error },
        'pushing a WAL file ahead failed; its own archive_command call retries',
      );
    }
  };
  const queue = [...candidates];
  const worker = async (first?: Promise<unknown>) => {
    if (first) await first.catch(() => {});
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await pushAhead(name);
  };
  const slots = round.first ? round.parallel - 1 : round.parallel;
  await Promise.all([
    ...(round.first ? [worker(round.first)] : []),
    ...Array.from({ length: slots }, () => worker()),
  ]);
  return { ahead, aheadFailed, pruned };
}

/** Options of {@link drainReadyWalFiles}. */
export interface DrainReadyWalFilesOptions extends PushWalFilesOptions {
  /** Exit after this long without a ready file to push (ms); default 3000. */
  idleMs?: number | undefined;
  /**
   * Exit when none of the markers this helper wrote has been taken by a `wal-push` call for this
   * long while some are waiting (ms; default 10000): `archive_command` is no longer this tool with
   * this fingerprint (another tool archives the files, whose markers are then only pruned).
   */
  unconsumedMs?: number | undefined;
  /** Stops after the round in progress when aborted (the CLI aborts on SIGTERM/SIGINT). */
  signal?: AbortSignal | undefined;
  /**
   * Exit after this long in any case (ms), so a changed config is picked up; default 600000, at
   * most `HELPER_LOCK_STALE_MS` (15 min), after which other calls take the lock for stale.
   */
  maxLifetimeMs?: number | undefined;
}

/** Outcome of {@link drainReadyWalFiles}. */
export interface DrainReadyWalFilesResult {
  /** `already-running`: another live helper holds the lock; nothing was done. */
  status: 'drained' | 'already-running' | 'stopped-on-failure';
  pushed: number;
}

/**
 * The archive helper (pgBackRest's asynchronous archive-push process, in spirit): holds the spool
 * lock (`acquireHelperLock`), then pushes rounds of up to `ahead` of the oldest ready files
 * (`pg_wal/archive_status/*.ready`), `parallel` at a time, writing a marker for each, until no
 * file has been waiting for `idleMs`, the first failure (so that the server's own call for that
 * file, which waits for the helper only while it lives, pushes it and reports the error), when
 * its markers are no longer taken (`unconsumedMs`: another `archive_command` took over), or
 * `maxLifetimeMs`, or `signal`. `path` locates `pg_wal`; its file is never pushed by the helper (the call
 * that started the helper pushes it). Markers, never exit statuses: PostgreSQL only learns a file
 * is archived from a call that proves the marker (`markerProves`) or pushes it.
 *
 * @throws BackupError `CONFIG_INVALID` (`parallel`, `ahead`, as {@link pushWalFiles}).
 */
export async function drainReadyWalFiles(
  options: DrainReadyWalFilesOptions,
): Promise<DrainReadyWalFilesResult> {
  const parallel = options.parallel ?? 4;
  const aheadMax = options.ahead ?? 16;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_WAL_PUSH_PARALLEL) {
    throw new BackupError(
      'CONFIG_INVALID',
      `parallel must be an integer from 1 to ${MAX_WAL_PUSH_PARALLEL}`,
      {
        details: { field: 'parallel' },
      },
    );
  }
  if (!Number.isInteger(aheadMax) || aheadMax < 1 || aheadMax > MAX_WAL_PUSH_AHEAD) {
    throw new BackupError('CONFIG_INVALID', `ahead must be an integer from 1 to ${MAX_WAL_PUSH_AHEAD}`, {
      details: { field: 'ahead' },
    });
  }
  const logger = options.logger ?? silentLogger;
  const spoolDir = options.spoolDir ?? defaultWalSpoolDir(options.path);
  if (!(await acquireHelperLock(spoolDir, process.pid, options.target))) {
    return { status: 'already-running', pushed: 0 };
  }
  const started = Date.now();
  const idleMs = options.idleMs ?? 3000;
  const maxLifetimeMs = Math.min(options.maxLifetimeMs ?? 600_000, HELPER_LOCK_STALE_MS - 60_000);
  let idleSince = Date.now();
  let pushed = 0;
  // The caller's own file is never the helper's: the call that started it pushes it.
  const exclude = basename(options.path);
  const unconsumedMs = options.unconsumedMs ?? 10_000;
  // Markers this helper wrote that are still there; one gone without this helper pruning it was
  // taken by a wal-push call (marker check, or a full push of that file).
  const waiting = new Set<string>();
  let lastTaken = Date.now();
  try {
    for (;;) {
      if (Date.now() - started > maxLifetimeMs || options.signal?.aborted)
        return { status: 'drained', pushed };
      const present = new Set(await listSpoolMarkers(spoolDir));
      for (const name of waiting) {
        if (present.has(name)) continue;
        waiting.delete(name);
        lastTaken = Date.now();
      }
      if (waiting.size > 0 && Date.now() - lastTaken > unconsumedMs) return { status: 'drained', pushed };
      const round = await pushAheadRound(options, { exclude, aheadMax, parallel, logger });
      for (const name of round.pruned) waiting.delete(name);
      for (const r of round.ahead) {
        if (waiting.size === 0) lastTaken = Date.now();
        waiting.add(r.name);
      }
      pushed += round.ahead.length;
      if (round.aheadFailed.length > 0) return { status: 'stopped-on-failure', pushed };
      if (round.ahead.length > 0) {
        idleSince = Date.now();
        continue;
      }
      if (Date.now() - idleSince > idleMs) return { status: 'drained', pushed };
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await releaseHelperLock(spoolDir);
  }
}
