import { BackupError } from '@backup/core';
import type { PitrRestoreFlags } from './pitrRestoreCommand.js';
import type { RestoreFlags } from './restoreCommand.js';

/** The flags `backup restore` takes for `--pitr` (those of `backup pitr-restore`), besides its own. */
export interface RestorePitrFlags {
  /** `--pitr`: point-in-time recovery of a physical job, routed to `pitrRestoreCommand`. */
  pitr?: boolean;
  dataDir?: string;
  targetTime?: string;
  targetLsn?: string;
  targetXid?: string;
  targetName?: string;
  immediate?: boolean;
  latest?: boolean;
  base?: string;
  targetTimeline?: string;
  targetAction?: string;
  exclusive?: boolean;
  /** commander `--no-archive`. */
  archive?: boolean;
  restoreCommand?: string;
  start?: boolean;
  port?: string;
  socketDir?: string;
}

/** Flags of the logical restore flow that mean nothing to a point-in-time recovery. */
const LOGICAL_ONLY: ReadonlyArray<[keyof RestoreFlags, string]> = [
  ['database', '--database'],
  ['unit', '--unit'],
  ['collection', '--collection'],
  ['target', '--target'],
  ['into', '--into'],
  ['force', '--force'],
  ['globals', '--globals'],
  ['toFile', '--to-file'],
  ['asOf', '--as-of'],
  ['dryRun', '--dry-run'],
];

/** Flags of `--pitr` that mean nothing to the logical restore flow. */
const PITR_ONLY: ReadonlyArray<[keyof RestorePitrFlags, string]> = [
  ['dataDir', '--data-dir'],
  ['targetTime', '--target-time'],
  ['targetLsn', '--target-lsn'],
  ['targetXid', '--target-xid'],
  ['targetName', '--target-name'],
  ['immediate', '--immediate'],
  ['latest', '--latest'],
  ['base', '--base'],
  ['targetTimeline', '--target-timeline'],
  ['targetAction', '--target-action'],
  ['exclusive', '--exclusive'],
  ['restoreCommand', '--restore-command'],
  ['start', '--start'],
  ['port', '--port'],
  ['socketDir', '--socket-dir'],
];

/**
 * `backup restore --pitr ...` -> the flags of `backup pitr-restore` (`pitrRestoreCommand`):
 * `--data-dir` is required (`CONFIG_INVALID` naming it when missing), the recovery target flags
 * and the others pass through unchanged, a `[set]` argument other than `latest` is the base backup
 * (`--base`), `--job` stays optional (default: the only physical job). Flags of the logical flow
 * (`--database`, `--target`, `--force`, `--dry-run`...) are refused with `CONFIG_INVALID`: a
 * recovery always goes into an empty data directory.
 */
export function pitrFlagsOfRestore(
  ref: string | undefined,
  flags: RestoreFlags & RestorePitrFlags,
): PitrRestoreFlags {
  const logical = LOGICAL_ONLY.filter(([key]) => flags[key] !== undefined && flags[key] !== false).map(
    ([, flag]) => flag,
  );
  if (logical.length > 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `${logical.join(', ')} ${logical.length > 1 ? 'do' : 'does'} not apply to --pitr: a point-in-time recovery ` +
        'restores the whole cluster into an empty --data-dir (docs/pitr.md)',
    );
  }
  if (flags.dataDir === undefined || flags.dataDir === '') {
    throw new BackupError(
      'CONFIG_INVALID',
      '--pitr needs --data-dir DIR: the empty or missing directory the cluster is restored into (docs/pitr.md)',
    );
  }
  if (ref !== undefined && ref !== 'latest' && flags.base !== undefined && flags.base !== ref) {
    throw new BackupError('CONFIG_INVALID', `Set ${ref} and --base ${flags.base} disagree: give one of them`);
  }
  const base = flags.base ?? (ref !== undefined && ref !== 'latest' ? ref : undefined);
  const pass = <K extends keyof PitrRestoreFlags>(key: K, value: PitrRestoreFlags[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    dataDir: flags.dataDir,
    ...pass('job', flags.job),
    ...pass('targetTime', flags.targetTime),
    ...pass('targetLsn', flags.targetLsn),
    ...pass('targetXid', flags.targetXid),
    ...pass('targetName', flags.targetName),
    ...pass('immediate', flags.immediate),
    ...pass('latest', flags.latest),
    ...pass('base', base),
    ...pass('targetTimeline', flags.targetTimeline),
    ...pass('targetAction', flags.targetAction),
    ...pass('exclusive', flags.exclusive),
    ...pass('archive', flags.archive),
    ...pass('restoreCommand', flags.restoreCommand),
    ...pass('identity', flags.identity),
    ...pass('start', flags.start),
    ...pass('port', flags.port),
    ...pass('socketDir', flags.socketDir),
    ...pass('json', flags.json),
  };
}

/**
 * Throws `CONFIG_INVALID` when flags of `--pitr` were given to the logical restore flow (a forgotten
 * `--pitr` would otherwise restore the latest logical set).
 */
export function assertNoPitrFlags(flags: RestorePitrFlags): void {
  const given = PITR_ONLY.filter(([key]) => flags[key] !== undefined && flags[key] !== false).map(
    ([, f]) => f,
  );
  if (given.length > 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `${given.join(', ')} ${given.length > 1 ? 'are' : 'is a'} point-in-time recovery flag(s): add --pitr ` +
        '(or use backup pitr-restore)',
    );
  }
}
