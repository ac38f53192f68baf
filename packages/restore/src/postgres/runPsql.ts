import { type EngineContext, spawnSink } from '@backup/core';
import type { PsqlConnection } from './psqlConnection.js';

/**
 * Runs a psql script (SQL and psql meta-commands such as `\gexec`) fed through stdin, unaligned and
 * tuples-only (`-X -q -A -t -v ON_ERROR_STOP=1`), and resolves with its stdout lines (empty lines
 * dropped). With `transaction`, the script runs in one transaction (`--single-transaction`).
 * Throws `RESTORE_FAILED` with psql's stderr tail when psql fails (connection refused, bad password,
 * SQL error), `ABORTED` on cancellation.
 */
export async function runPsql(
  psql: string,
  connection: PsqlConnection,
  script: string,
  ctx: EngineContext,
  options: { transaction?: boolean; label?: string } = {},
): Promise<string[]> {
  const args = [
    '-X',
    '-q',
    '-A',
    '-t',
    '-v',
    'ON_ERROR_STOP=1',
    ...(options.transaction ? ['--single-transaction'] : []),
    ...connection.args,
  ];
  const child = spawnSink(psql, args, {
    env: connection.env,
    signal: ctx.signal,
    errorCode: 'RESTORE_FAILED',
    label: options.label ?? `psql on ${connection.server}`,
  });
  child.stdin.end(script);
  const stdout = await child.done;
  return stdout.split('\n').filter((line) => line.trim() !== '');
}
