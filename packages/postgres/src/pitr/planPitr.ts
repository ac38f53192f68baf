import { BackupError } from '@backup/core';
import type { BaseBackupInfo } from '../physical/baseBackupInfo.js';
import { formatLsn } from '../physical/lsn.js';
import type { TimelineHistoryEntry } from './parseTimelineHistory.js';
import type { RecoveryTarget } from './recoveryTarget.js';

/** `recovery_target_timeline`: `latest` (default), `current` (the base backup's), or a timeline id. */
export type TargetTimeline = 'latest' | 'current' | number;

/** Input of {@link planPitr}. */
export interface PlanPitrInput {
  /** Base backups of the job (any order). */
  bases: readonly BaseBackupInfo[];
  /** Archived timeline history files: timeline id -> its parsed entries. */
  histories: ReadonlyMap<number, readonly TimelineHistoryEntry[]>;
  target: RecoveryTarget;
  /** Default `latest`. */
  targetTimeline?: TargetTimeline | undefined;
  /** Use this set id instead of choosing (it must still be usable for the target). */
  baseId?: string | undefined;
}

/** What {@link planPitr} chose. */
export interface PitrPlan {
  base: BaseBackupInfo;
  target: RecoveryTarget;
  /** Timeline recovery ends on (the base backup's for `current`). */
  timeline: number;
  /** Value for `recovery_target_timeline`. */
  recoveryTargetTimeline: string;
  /** Why this base backup, for the operator. */
  reason: string;
}

/**
 * Chooses the base backup for a point-in-time recovery: the NEWEST one that (1) lies on the target
 * timeline's history (its timeline is the target timeline, or an ancestor it left after the
 * backup's stop LSN, per the archived `.history` files) and (2) became consistent before the
 * target: stop time <= target time, stop LSN <= target LSN, or the next xid after the backup <= the
 * target xid (32-bit xids compare with the low 32 bits). PostgreSQL refuses a target before the
 * backup's consistency point (PG15 docs "Recovery Target"). `immediate`, `latest` and `name`
 * targets take the newest usable base (a restore point's position is unknown until replayed: pass
 * `baseId` to start from an older backup). The `latest` timeline is the highest timeline with an
 * archived history file (or of a base backup), as the server resolves it.
 *
 * @throws BackupError `NOT_FOUND` when the job has no base backup or none fits the target (the
 *   message names the oldest backup's stop point); `CONFIG_INVALID` when `baseId` is unknown or
 *   does not fit.
 */
export function planPitr(input: PlanPitrInput): PitrPlan {
  const { target, histories } = input;
  const wanted = input.targetTimeline ?? 'latest';
  if (input.bases.length === 0) {
    throw new BackupError(
      'NOT_FOUND',
      'The job has no physical base backup: run `backup run` with mode: physical first',
    );
  }
  const latest = Math.max(...histories.keys(), ...input.bases.map((b) => b.stopTimeline));
  const timelineOf = (base: BaseBackupInfo) =>
    wanted === 'latest' ? latest : wanted === 'current' ? base.stopTimeline : wanted;
  const onPath = (base: BaseBackupInfo): string | undefined => {
    const timeline = timelineOf(base);
    if (base.stopTimeline === timeline) return undefined;
    if (base.stopTimeline > timeline)
      return `it is on timeline ${base.stopTimeline}, after timeline ${timeline}`;
    const parent = histories.get(timeline)?.find((e) => e.timeline === base.stopTimeline);
    if (!parent) return `timeline ${timeline} does not descend from its timeline ${base.stopTimeline}`;
    if (base.stopLsn > parent.switchpoint) {
      return `timeline ${timeline} left timeline ${base.stopTimeline} at ${formatLsn(parent.switchpoint)}, before the backup ended (${formatLsn(base.stopLsn)})`;
    }
    return undefined;
  };
  const beforeTarget = (base: BaseBackupInfo): string | undefined => {
    switch (target.kind) {
      case 'time':
        return base.stopTime.getTime() <= target.time.getTime()
          ? undefined
          : `it ended at ${base.stopTime.toISOString()}, after ${target.value}`;
      case 'lsn':
        return base.stopLsn <= target.lsn
          ? undefined
          : `it ended at LSN ${formatLsn(base.stopLsn)}, after ${target.value}`;
      case 'xid': {
        if (base.nextXid === undefined) return 'its next transaction id was not recorded';
        const next = target.xid < 2n ** 32n ? base.nextXid % 2n ** 32n : base.nextXid;
        return next <= target.xid
          ? undefined
          : `transactions from ${next} on began after it ended (target ${target.value})`;
      }
      default:
        return undefined;
    }
  };
  const why = (base: BaseBackupInfo) => onPath(base) ?? beforeTarget(base);
  const sorted = [...input.bases].sort((a, b) =>
    a.stopLsn === b.stopLsn ? b.id.localeCompare(a.id) : a.stopLsn > b.stopLsn ? -1 : 1,
  );
  let base: BaseBackupInfo | undefined;
  if (input.baseId !== undefined) {
    base = sorted.find((b) => b.id === input.baseId);
    if (!base) {
      throw new BackupError(
        'CONFIG_INVALID',
        `--base ${input.baseId} is not a base backup of this job (have: ${sorted.map((b) => b.id).join(', ')})`,
      );
    }
    const problem = why(base);
    if (problem)
      throw new BackupError('CONFIG_INVALID', `Base backup ${base.id} cannot reach the target: ${problem}`);
  } else {
    base = sorted.find((b) => why(b) === undefined);
    if (!base) {
      const oldest = sorted[sorted.length - 1]!;
      throw new BackupError(
        'NOT_FOUND',
        `No base backup can reach the target: the oldest, ${oldest.id}, cannot because ${why(oldest)}`,
        { details: { bases: sorted.map((b) => b.id) } },
      );
    }
  }
  const timeline = timelineOf(base);
  return {
    base,
    target,
    timeline,
    recoveryTargetTimeline:
      wanted === 'latest' ? 'latest' : wanted === 'current' ? 'current' : String(wanted),
    reason:
      input.baseId !== undefined
        ? `chosen with --base`
        : `newest base backup that ended (${base.stopTime.toISOString()}, LSN ${formatLsn(base.stopLsn)}) before the target on timeline ${timeline}`,
  };
}
