import { execFile, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BackupError, type Logger, silentLogger } from '@backup/core';
import { resolveBinDir, toolPath } from '../resolveBinDir.js';

const run = promisify(execFile);

/** Options of {@link startRecoveredServer}. */
export interface StartRecoveredServerOptions {
  /** The restored data directory (with `recovery.signal`). */
  dataDir: string;
  /** Directory of `pg_ctl` and `pg_controldata`; default the newest `/usr/lib/postgresql/<major>/bin`. */
  binDir?: string | undefined;
  /** `-p`: port; default the data directory's configuration (usually 5432). */
  port?: number | undefined;
  /** `-k`: Unix socket directory; default the data directory's configuration. */
  socketDir?: string | undefined;
  /** Server log file (`pg_ctl -l`); default `<dataDir>/backup-pitr-start.log`. */
  logFile?: string | undefined;
  /**
   * What to wait for: `recovery` (default) until recovery ended (`pg_controldata` reports
   * `in production` after promotion and `postmaster.pid` says `ready`, or the server shut down in
   * recovery with `recovery_target_action = shutdown`); `started` only until the postmaster runs.
   */
  waitFor?: 'recovery' | 'started' | undefined;
  /** Give up after this many ms (the server keeps running); default 3 600 000 (1 h). */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
}

/** How {@link startRecoveredServer} ended. */
export interface RecoveredServerState {
  /** `Database cluster state` of `pg_controldata` at the end, e.g. `in production`. */
  clusterState: string;
  /** Whether the postmaster is running. */
  running: boolean;
  /** Last lines of the server log. */
  logTail: string;
}

/**
 * Starts PostgreSQL on a restored data directory with `pg_ctl start` (as the directory's owner: a
 * root process runs it through `runuser -u <owner>`, since the server refuses root) and waits for
 * archive recovery to finish by polling `pg_controldata` (PG15 `pg_controldata(1)`), which needs no
 * database connection or password. With `recovery_target_action = pause` recovery never ends on
 * its own: wait with `started` and resume with `select pg_wal_replay_resume()`.
 *
 * @throws BackupError `RESTORE_FAILED` when the server fails to start or exits during recovery (the
 *   message holds the end of the server log: a target before the backup's consistency point, a
 *   missing WAL file...), or on timeout; `ABORTED`.
 */
export async function startRecoveredServer(
  options: StartRecoveredServerOptions,
): Promise<RecoveredServerState> {
  const logger = options.logger ?? silentLogger;
  const binDir = resolveBinDir(options.binDir);
  const dataDir = options.dataDir;
  const logFile = options.logFile ?? join(dataDir, 'backup-pitr-start.log');
  const serverOptions = [
    ...(options.port === undefined ? [] : [`-p ${options.port}`]),
    ...(options.socketDir === undefined ? [] : [`-k ${options.socketDir}`]),
  ].join(' ');
  const args = ['-D', dataDir, '-l', logFile, ...(serverOptions ? ['-o', serverOptions] : []), '-W', 'start'];
  const owner = (await stat(dataDir)).uid;
  const asOwner: [string, string[]] =
    process.getuid?.() === 0 && owner !== 0
      ? [
          'runuser',
          [
            '-u',
            (await run('id', ['-nu', String(owner)])).stdout.trim(),
            '--',
            toolPath(binDir, 'pg_ctl'),
            ...args,
          ],
        ]
      : [toolPath(binDir, 'pg_ctl'), args];
  logger.info({ dataDir, command: asOwner }, 'starting the restored server');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(asOwner[0], asOwner[1], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dataDir });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new BackupError('RESTORE_FAILED', `pg_ctl start failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
  const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
  const tail = async () =>
    (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
  let lastState = '';
  let seenRunning = false;
  const startDeadline = Date.now() + 30_000;
  for (;;) {
    if (options.signal?.aborted) throw new BackupError('ABORTED', 'Waiting for recovery was aborted');
    const running = await postmasterRunning(dataDir);
    seenRunning ||= running;
    if (!seenRunning && Date.now() < startDeadline) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const { stdout } = await run(toolPath(binDir, 'pg_controldata'), ['-D', dataDir], {
      env: { ...process.env, LC_ALL: 'C' },
    });
    const state = /^Database cluster state:\s*(.*)$/m.exec(stdout)?.[1]?.trim() ?? 'unknown';
    if (state !== lastState) logger.info({ dataDir, state, running }, 'restored server state');
    lastState = state;
    if (options.waitFor === 'started' && running)
      return { clusterState: state, running, logTail: await tail() };
    if (state === 'in production' && running && (await postmasterStatus(dataDir)) === 'ready') {
      return { clusterState: state, running, logTail: await tail() };
    }
    if (!running) {
      const logTail = await tail();
      if (
        state === 'shut down in recovery' &&
        /shutdown at recovery target|recovery stopping/i.test(logTail)
      ) {
        return { clusterState: state, running, logTail };
      }
      throw new BackupError(
        'RESTORE_FAILED',
        `The restored server stopped during recovery (state: ${state}):\n${logTail}`,
      );
    }
    if (Date.now() > deadline) {
      throw new BackupError(
        'RESTORE_FAILED',
        `Recovery did not finish in time (state: ${state}); the server is still running:\n${await tail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The postmaster's status line of `postmaster.pid` (line 8: `starting`, `stopping`, `ready`,
 * `standby`; PG15 `src/include/utils/pidfile.h`): `ready` once it accepts connections.
 */
async function postmasterStatus(dataDir: string): Promise<string | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  return text?.split('\n')[7]?.trim();
}

/** True when `postmaster.pid` names a live process. */
async function postmasterRunning(dataDir: string): Promise<boolean> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
