import { BackupError } from '@backup/core';
import type { RecoveryTarget } from './recoveryTarget.js';

/** `recovery_target_action` (PG15 docs "Recovery Target"): what the server does at the target. */
export type RecoveryTargetAction = 'promote' | 'pause' | 'shutdown';

/** Input of {@link recoverySettings}. */
export interface RecoverySettingsInput {
  /** Shell command for `restore_command` with `%f` and `%p` (e.g. `backup wal-fetch %f %p --job pg`). */
  restoreCommand: string;
  target: RecoveryTarget;
  /** `recovery_target_timeline`: `latest`, `current` or a number as text. */
  timeline: string;
  /** Default `promote`. Ignored (not written) for the `latest` target, which has no target to reach. */
  action?: RecoveryTargetAction | undefined;
  /** `recovery_target_inclusive`; default: not written (the server's default, `on`). */
  inclusive?: boolean | undefined;
  /** Extra settings written after the recovery ones, e.g. `{ archive_mode: 'off' }`. */
  extra?: Readonly<Record<string, string>> | undefined;
  /** First comment line. */
  comment?: string | undefined;
}

/**
 * Renders the recovery settings appended to `postgresql.auto.conf` of a restored data directory
 * (read last, so they override `postgresql.conf`): `restore_command`, exactly one
 * `recovery_target*` (none for `latest`), `recovery_target_timeline`, `recovery_target_action`,
 * and `recovery_target_inclusive` when given. Values are single-quoted with `'` doubled and `\`
 * escaped, as the configuration file parser reads them (PG15 docs "Parameter Interaction via the
 * Configuration File"; protocols.md 6.2).
 * @throws BackupError `CONFIG_INVALID` for a restore command without `%f` or `%p`.
 */
export function recoverySettings(input: RecoverySettingsInput): string {
  if (!input.restoreCommand.includes('%f') || !input.restoreCommand.includes('%p')) {
    throw new BackupError('CONFIG_INVALID', 'restore_command must contain %f and %p');
  }
  const settings: Array<[string, string]> = [['restore_command', input.restoreCommand]];
  const { target } = input;
  switch (target.kind) {
    case 'time':
      settings.push(['recovery_target_time', target.value]);
      break;
    case 'lsn':
      settings.push(['recovery_target_lsn', target.value]);
      break;
    case 'xid':
      settings.push(['recovery_target_xid', target.value]);
      break;
    case 'name':
      settings.push(['recovery_target_name', target.value]);
      break;
    case 'immediate':
      settings.push(['recovery_target', 'immediate']);
      break;
    case 'latest':
      break;
  }
  settings.push(['recovery_target_timeline', input.timeline]);
  if (target.kind !== 'latest') {
    settings.push(['recovery_target_action', input.action ?? 'promote']);
    if (input.inclusive !== undefined)
      settings.push(['recovery_target_inclusive', input.inclusive ? 'on' : 'off']);
  }
  for (const [name, value] of Object.entries(input.extra ?? {})) settings.push([name, value]);
  const lines = settings.map(([name, value]) => `${name} = ${quoteConfigValue(value)}`);
  return `${input.comment ? `# ${input.comment.replace(/\n/g, ' ')}\n` : ''}${lines.join('\n')}\n`;
}

/** `'value'` with `\` and `'` escaped for postgresql.conf. */
function quoteConfigValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
