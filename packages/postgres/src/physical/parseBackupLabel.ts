import { BackupError } from '@backup/core';
import { type Lsn, parseLsn } from './lsn.js';

/** The facts of a `backup_label` file (written by the server into every base backup). */
export interface BackupLabel {
  /** `START WAL LOCATION`: where replay must begin. */
  startLsn: Lsn;
  /** The WAL file named next to the start location, e.g. `000000010000000000000002`. */
  startWalFile: string;
  /** `CHECKPOINT LOCATION`. */
  checkpointLsn: Lsn;
  /** `START TIMELINE`. */
  timeline: number;
  /** `START TIME` as written (server time zone), e.g. `2026-01-21 02:00:01 UTC`. */
  startTime: string;
  /** `LABEL`. */
  label: string;
  /** `BACKUP FROM`: `primary` or `standby`. */
  backupFrom: string;
}

/**
 * Parses a `backup_label` (`START WAL LOCATION: 0/2000028 (file 000000010000000000000002)`,
 * `CHECKPOINT LOCATION`, `START TIME`, `LABEL`, `START TIMELINE`...), format of PG15
 * `src/backend/access/transam/xlog.c` `do_pg_backup_start`.
 * @throws BackupError `VERIFY_FAILED` when a required line is missing or malformed.
 */
export function parseBackupLabel(text: string): BackupLabel {
  const field = (name: string): string => {
    const match = new RegExp(`^${name}: (.*)$`, 'm').exec(text);
    if (!match) throw new BackupError('VERIFY_FAILED', `backup_label has no "${name}" line`);
    return match[1]!.trim();
  };
  const start = /^([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/.exec(field('START WAL LOCATION'));
  if (!start) throw new BackupError('VERIFY_FAILED', 'backup_label has a malformed START WAL LOCATION');
  const timeline = Number(field('START TIMELINE'));
  if (!Number.isInteger(timeline) || timeline < 1) {
    throw new BackupError('VERIFY_FAILED', 'backup_label has a malformed START TIMELINE');
  }
  return {
    startLsn: parseLsn(start[1]!, 'backup_label START WAL LOCATION'),
    startWalFile: start[2]!,
    checkpointLsn: parseLsn(field('CHECKPOINT LOCATION'), 'backup_label CHECKPOINT LOCATION'),
    timeline,
    startTime: field('START TIME'),
    label: field('LABEL'),
    backupFrom: /^BACKUP FROM: (.*)$/m.exec(text)?.[1]?.trim() ?? 'primary',
  };
}
