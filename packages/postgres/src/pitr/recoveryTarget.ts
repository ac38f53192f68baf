import { BackupError } from '@backup/core';
import { type Lsn, parseLsn } from '../physical/lsn.js';

/**
 * Where point-in-time recovery stops (PG15 docs "Recovery Target"; protocols.md 6.2). Exactly one
 * of the server's `recovery_target*` settings is written for it:
 * - `time`: `recovery_target_time`, commits up to that time (`value` is passed to the server as
 *   given; `time` is its instant, to pick the base backup);
 * - `lsn`: `recovery_target_lsn`;
 * - `xid`: `recovery_target_xid`, up to that transaction's commit;
 * - `name`: `recovery_target_name`, a restore point made with `pg_create_restore_point()`;
 * - `immediate`: `recovery_target = 'immediate'`, the base backup's consistency point;
 * - `latest`: no target: replay every archived WAL file of the target timeline.
 */
export type RecoveryTarget =
  | { kind: 'time'; value: string; time: Date }
  | { kind: 'lsn'; value: string; lsn: Lsn }
  | { kind: 'xid'; value: string; xid: bigint }
  | { kind: 'name'; value: string }
  | { kind: 'immediate' }
  | { kind: 'latest' };

/** The target flags of `backup pitr-restore`; exactly one must be set. */
export interface RecoveryTargetFlags {
  targetTime?: string | undefined;
  targetLsn?: string | undefined;
  targetXid?: string | undefined;
  targetName?: string | undefined;
  immediate?: boolean | undefined;
  latest?: boolean | undefined;
}

const TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,6}))?)?)\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Parses the target flags into a {@link RecoveryTarget}. Times need an explicit zone, so the base
 * backup is chosen against the same instant the server will use: `2026-01-21 14:30:00+00`,
 * `2026-01-21T14:30:00.123456Z`, `2026-01-21 16:30:00 +02:00`, `2026-01-21 14:30:00 UTC`
 * (microseconds are kept for the server; the base backup choice uses milliseconds, rounding down).
 * LSNs are `X/Y` (`0/16B3748`); xids are decimal (32-bit as `pg_current_xact_id() % 2^32` prints, or a
 * 64-bit xid8).
 *
 * @throws BackupError `CONFIG_INVALID` naming the flag when none or several are set or one is malformed.
 */
export function parseRecoveryTarget(flags: RecoveryTargetFlags): RecoveryTarget {
  const given = Object.entries({
    '--target-time': flags.targetTime,
    '--target-lsn': flags.targetLsn,
    '--target-xid': flags.targetXid,
    '--target-name': flags.targetName,
    '--immediate': flags.immediate ? true : undefined,
    '--latest': flags.latest ? true : undefined,
  }).filter(([, v]) => v !== undefined);
  if (given.length !== 1) {
    throw new BackupError(
      'CONFIG_INVALID',
      given.length === 0
        ? 'Give one recovery target: --target-time, --target-lsn, --target-xid, --target-name, --immediate or --latest'
        : `Give only one recovery target (got ${given.map(([k]) => k).join(', ')}); PostgreSQL refuses several ("multiple recovery targets specified")`,
    );
  }
  if (flags.targetTime !== undefined) {
    const value = flags.targetTime.trim();
    const match = TIME.exec(value);
    if (!match) {
      throw new BackupError(
        'CONFIG_INVALID',
        `--target-time "${value}" must be a timestamp with a time zone, e.g. "2026-01-21 14:30:00+00" or 2026-01-21T14:30:00Z`,
      );
    }
    const [, date, clock, , zoneRaw] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
      string,
    ];
    const zone = /^(z|utc)$/i.test(zoneRaw)
      ? 'Z'
      : zoneRaw.length === 3
        ? `${zoneRaw}:00`
        : zoneRaw.includes(':')
          ? zoneRaw
          : `${zoneRaw.slice(0, 3)}:${zoneRaw.slice(3)}`;
    const [hms, fraction = ''] = clock.split('.');
    const full = hms!.length === 5 ? `${hms}:00` : hms;
    const time = new Date(`${date}T${full}.${fraction.padEnd(3, '0').slice(0, 3)}${zone}`);
    if (Number.isNaN(time.getTime())) {
      throw new BackupError('CONFIG_INVALID', `--target-time "${value}" is not a valid date and time`);
    }
    return { kind: 'time', value, time };
  }
  if (flags.targetLsn !== undefined) {
    const value = flags.targetLsn.trim();
    return { kind: 'lsn', value, lsn: parseLsn(value, '--target-lsn') };
  }
  if (flags.targetXid !== undefined) {
    const value = flags.targetXid.trim();
    if (!/^\d{1,20}$/.test(value) || BigInt(value) < 3n) {
      throw new BackupError(
        'CONFIG_INVALID',
        `--target-xid "${value}" must be a transaction id (a number >= 3)`,
      );
    }
    return { kind: 'xid', value, xid: BigInt(value) };
  }
  if (flags.targetName !== undefined) {
    if (flags.targetName === '' || flags.targetName.length > 63) {
      throw new BackupError(
        'CONFIG_INVALID',
        '--target-name must be a restore point name of 1 to 63 characters',
      );
    }
    return { kind: 'name', value: flags.targetName };
  }
  return flags.immediate ? { kind: 'immediate' } : { kind: 'latest' };
}
