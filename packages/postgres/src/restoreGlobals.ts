import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import {
  BackupError,
  type EngineContext,
  type RestoreResult,
  type SpawnedSink,
  StderrTail,
} from '@backup/core';
import { dbnameArg } from './dbnameArg.js';
import { feedProcess } from './feedProcess.js';
import { serverLabel } from './serverLabel.js';

/** Input of {@link restoreGlobals}. */
export interface RestoreGlobalsInput {
  /** Unit name (`globals`). */
  unit: string;
  /** Opens `globals.sql` (checksums verified while streaming). */
  open(): Promise<Readable>;
  /** libpq environment of the target server. */
  env: NodeJS.ProcessEnv;
  /** Database psql connects to (`postgres` usually); globals are cluster-wide. */
  maintenanceDatabase: string;
  /** Path of psql. */
  psql: string;
}

/** At most this many psql error lines are kept in the result and logged. */
const MAX_MESSAGES = 20;

/**
 * Replays `globals.sql` (roles, role memberships and settings, tablespaces) with
 * `psql -X -q -v ON_ERROR_STOP=0 --no-password` (PG15 `psql(1)`). Statements that fail, typically
 * `CREATE ROLE` of a role that already exists, do not stop the script: they are reported as
 * warnings (logged, and counted in `metadata.warnings` with the first 20 in `metadata.messages`).
 * Note that the script sets each role's attributes and password hash to those of the source
 * cluster, including the role used to connect.
 *
 * @throws BackupError `RESTORE_FAILED` when psql cannot run or connect (exit code != 0, stderr in
 *   the message); the artifact stream's error (`CHECKSUM_MISMATCH`...); `ABORTED`.
 */
export async function restoreGlobals(input: RestoreGlobalsInput, ctx: EngineContext): Promise<RestoreResult> {
  const args = [
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=0',
    '--no-password',
    `--dbname=${dbnameArg(input.maintenanceDatabase)}`,
  ];
  const plaintext = await input.open();
  ctx.logger.debug({ command: input.psql, args }, 'restoring globals');
  const messages: string[] = [];
  let warnings = 0;
  const child = spawnPsql(input.psql, args, input.env, ctx.signal, (line) => {
    if (!/\b(ERROR|FATAL|WARNING):/.test(line)) return;
    warnings += 1;
    if (messages.length < MAX_MESSAGES) {
      messages.push(line);
      ctx.logger.warn({ unit: input.unit, message: line }, 'globals statement failed (continuing)');
    }
  });
  const outcome = await feedProcess(plaintext, child, { drainAfterExit: false });
  if (ctx.signal.aborted) throw new BackupError('ABORTED', 'Restore of the globals was aborted');
  if (outcome.sourceError !== undefined) throw outcome.sourceError;
  if (outcome.childError !== undefined) throw outcome.childError;
  return {
    unit: input.unit,
    target: serverLabel(input.env),
    metadata: { server: serverLabel(input.env), warnings, messages },
  };
}

function spawnPsql(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  onLine: (line: string) => void,
): SpawnedSink {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const tail = new StderrTail();
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    tail.push(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stdout.resume();
  child.stdin.on('error', () => {}); // EPIPE when psql exits early: reported through `done`
  const onAbort = () => child.kill('SIGTERM');
  signal.addEventListener('abort', onAbort, { once: true });
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new BackupError('RESTORE_FAILED', `Cannot run psql: ${error.message}`, { cause: error })),
    );
    child.once('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (partial) onLine(partial);
      if (code === 0) return resolve('');
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(
        new BackupError('RESTORE_FAILED', `psql (restoring globals) ${how}: ${tail.toString()}`, {
          details: { exitCode: code, signal: sig },
        }),
      );
    });
  });
  return { stdin: child.stdin, done, kill: () => child.kill('SIGTERM') };
}
