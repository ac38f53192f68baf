import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDecryptor } from '@backup/config';
import { BackupError } from '@backup/core';
import {
  formatLsn,
  parseRecoveryTarget,
  type RecoveredServerState,
  type RecoveryTargetAction,
  type RestorePitrResult,
  restorePitr,
  shellQuote,
  startRecoveredServer,
  type TargetTimeline,
} from '@backup/postgres';
import type { CliContext } from '../CliContext.js';
import { formatBytes } from '../output/formatBytes.js';
import { resolveWalJob } from './walPushCommand.js';

/** Flags of `backup pitr-restore`. */
export interface PitrRestoreFlags {
  job?: string;
  /** Empty or missing directory receiving the cluster. */
  dataDir: string;
  targetTime?: string;
  targetLsn?: string;
  targetXid?: string;
  targetName?: string;
  immediate?: boolean;
  latest?: boolean;
  /** `latest` (default), `current` or a timeline number. */
  targetTimeline?: string;
  /** `promote` (default), `pause` or `shutdown`. */
  targetAction?: string;
  /** `recovery_target_inclusive = off`: stop just before the target. */
  exclusive?: boolean;
  /** Base backup set id instead of the newest that fits. */
  base?: string;
  /** Replaces the generated `restore_command`. */
  restoreCommand?: string;
  /** commander `--no-archive`: `archive: false` writes `archive_mode = off`. */
  archive?: boolean;
  identity?: string;
  /** Start the server and wait for the recovery to finish. */
  start?: boolean;
  port?: string;
  socketDir?: string;
  json?: boolean;
}

/** What `backup pitr-restore` did. */
export interface PitrRestoreOutcome extends RestorePitrResult {
  /** The `restore_command` written. */
  restoreCommand: string;
  /** With `--start`: how the server ended up. */
  server?: RecoveredServerState | undefined;
}

/**
 * `backup pitr-restore --data-dir DIR (--target-time TS | --target-lsn LSN | --target-xid XID |
 * --target-name NAME | --immediate | --latest) [--job NAME] [--base SET] [--target-timeline
 * latest|current|N] [--target-action promote|pause|shutdown] [--exclusive] [--no-archive]
 * [--identity FILE] [--restore-command CMD] [--start [--port N] [--socket-dir DIR]] [--json]`:
 * point-in-time recovery of a physical job into an empty data directory with `restorePitr` (the
 * newest base backup that ended before the target, extracted and checked against its
 * `backup_manifest`, `recovery.signal`, recovery settings in `postgresql.auto.conf`). The
 * generated `restore_command` runs this very CLI: `<node> <bin.js> --config <file> wal-fetch %f %p
 * --job <job>`. Prints how to start the server, or with `--start` starts it (as the directory's
 * owner) and waits until recovery finished (`pause`: until it runs). The lead routes
 * `backup restore --pitr` here.
 */
export async function pitrRestoreCommand(
  ctx: CliContext,
  flags: PitrRestoreFlags,
): Promise<PitrRestoreOutcome> {
  const job = resolveWalJob(ctx, flags.job);
  const target = parseRecoveryTarget(flags);
  const action = parseAction(flags.targetAction);
  const targetTimeline = parseTimeline(flags.targetTimeline);
  const identity = flags.identity === undefined ? undefined : resolve(flags.identity);
  const restoreCommand =
    flags.restoreCommand ??
    [
      shellQuote(process.execPath),
      shellQuote(await realpath(process.argv[1] ?? 'backup')),
      '--config',
      shellQuote(ctx.configPath),
      'wal-fetch',
      '%f',
      '%p',
      '--job',
      shellQuote(job.name),
      ...(identity === undefined ? [] : ['--identity', shellQuote(identity)]),
    ].join(' ');
  const result = await restorePitr({
    catalog: ctx.catalog,
    job: job.name,
    dataDir: flags.dataDir,
    target,
    targetTimeline,
    baseId: flags.base,
    action,
    inclusive: flags.exclusive ? false : undefined,
    restoreCommand,
    disableArchiving: flags.archive === false,
    decryptor: await createDecryptor({
      identityFile: identity,
      env: ctx.env,
      encryption: ctx.config.encryption,
    }),
    logger: ctx.logger,
    signal: ctx.signal,
  });
  const outcome: PitrRestoreOutcome = { ...result, restoreCommand };
  const { base } = result.plan;
  const lines = [
    `Restored ${job.name}/${base.id} (timeline ${base.timeline}, LSN ${formatLsn(base.startLsn)}..${formatLsn(base.stopLsn)}, ended ${base.stopTime.toISOString()})`,
    `  into ${result.dataDir}: ${result.files} files, ${formatBytes(result.bytes)}, checked against backup_manifest`,
    `  target: ${describeTarget(flags)}, timeline ${result.plan.recoveryTargetTimeline}${target.kind === 'latest' ? '' : `, then ${action ?? 'promote'}`}`,
    `  recovery settings appended to ${result.dataDir}/postgresql.auto.conf; recovery.signal created`,
  ];
  if (flags.start) {
    ctx.stderr.write(`${lines.join('\n')}\nStarting the server and waiting for recovery...\n`);
    outcome.server = await startRecoveredServer({
      dataDir: result.dataDir,
      port: flags.port === undefined ? undefined : parsePort(flags.port),
      socketDir: flags.socketDir,
      waitFor: action === 'pause' ? 'started' : 'recovery',
      logger: ctx.logger,
      signal: ctx.signal,
    });
    lines.push(`Server ${outcome.server.running ? 'running' : 'stopped'}: ${outcome.server.clusterState}`);
  } else {
    lines.push(
      'Start it as the data directory owner, e.g.:',
      `  runuser -u postgres -- pg_ctl -D ${shellQuote(result.dataDir)} -l ${shellQuote(`${result.dataDir}/recovery.log`)} start`,
      '  It fetches WAL with the restore_command below, stops at the target and logs "recovery stopping ..." then',
      '  "archive recovery complete" (or pauses with --target-action pause: resume with select pg_wal_replay_resume()).',
      `  restore_command = ${restoreCommand}`,
    );
  }
  ctx.stdout.write(flags.json ? `${JSON.stringify(toJson(outcome), null, 2)}\n` : `${lines.join('\n')}\n`);
  return outcome;
}

function parseAction(value: string | undefined): RecoveryTargetAction | undefined {
  if (value === undefined) return undefined;
  if (value === 'promote' || value === 'pause' || value === 'shutdown') return value;
  throw new BackupError(
    'CONFIG_INVALID',
    `--target-action must be promote, pause or shutdown (got ${value})`,
  );
}

function parseTimeline(value: string | undefined): TargetTimeline | undefined {
  if (value === undefined || value === 'latest' || value === 'current') return value;
  if (/^\d+$/.test(value) && Number(value) >= 1) return Number(value);
  throw new BackupError(
    'CONFIG_INVALID',
    `--target-timeline must be latest, current or a timeline number (got ${value})`,
  );
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BackupError('CONFIG_INVALID', `--port must be a TCP port number (got ${value})`);
  }
  return port;
}

function describeTarget(flags: PitrRestoreFlags): string {
  if (flags.targetTime !== undefined) return `time ${flags.targetTime}`;
  if (flags.targetLsn !== undefined) return `LSN ${flags.targetLsn}`;
  if (flags.targetXid !== undefined) return `xid ${flags.targetXid}`;
  if (flags.targetName !== undefined) return `restore point ${flags.targetName}`;
  return flags.immediate ? 'the base backup consistency point' : 'the end of the archived WAL';
}

/** JSON-safe view (bigint LSNs as `X/Y`). */
function toJson(outcome: PitrRestoreOutcome): unknown {
  const { base } = outcome.plan;
  return {
    job: base.manifest.job,
    base: base.id,
    startLsn: formatLsn(base.startLsn),
    stopLsn: formatLsn(base.stopLsn),
    timeline: outcome.plan.timeline,
    recoveryTargetTimeline: outcome.plan.recoveryTargetTimeline,
    target: outcome.plan.target.kind,
    dataDir: outcome.dataDir,
    files: outcome.files,
    bytes: outcome.bytes,
    settings: outcome.settings,
    restoreCommand: outcome.restoreCommand,
    ...(outcome.server ? { server: outcome.server } : {}),
  };
}
