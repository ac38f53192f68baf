import type { BackupSetListing, Catalog } from '../catalog/Catalog.js';
import { BackupError } from '../errors.js';
import { type ApplyRetentionOptions, applyRetentionPolicy, type KeptBackup } from './applyRetentionPolicy.js';
import type { RetentionPolicy } from './RetentionPolicy.js';
import { resolveRetentionPolicy } from './resolveRetentionPolicy.js';

/** Default grace period of incomplete sets: 24 hours, in milliseconds. */
const DEFAULT_INCOMPLETE_GRACE_MS = 24 * 3_600_000;

/** Reason added when the newest complete set is kept only by the never-remove-the-newest guard. */
export const NEWEST_SET_REASON = 'newest complete set';
/** Reason added when the newest complete set not dated after `now` is kept only by the guard. */
export const NEWEST_PAST_SET_REASON = 'newest complete set not in the future';

/** Options of {@link planPrune}. */
export interface PlanPruneOptions {
  /** Reads the job's sets (`listSets`: complete and incomplete). */
  catalog: Catalog;
  /** Job name. */
  job: string;
  /** Retention policy; must not be empty (see `isEmptyPolicy`). */
  policy: RetentionPolicy;
  /** Current time; default `new Date()`. Used by `keepWithin` and the incomplete-set grace period. */
  now?: ApplyRetentionOptions['now'];
  /**
   * An incomplete set (no `manifest.json`) is removed only when its newest object is older than
   * this, in milliseconds, so a backup still being written is never touched. Default 24 h
   * (86 400 000). Must be a finite number >= 0.
   */
  incompleteGraceMs?: number | undefined;
}

/** What {@link planPrune} decided for one job; feed it to `executePrune`. */
export interface PrunePlan {
  job: string;
  /** The time the plan was made for. */
  now: Date;
  /** Complete sets kept, newest first, with restic's reasons (plus the guard's, see `planPrune`). */
  keep: Array<KeptBackup<BackupSetListing>>;
  /** Complete sets the policy removes, newest first. */
  remove: BackupSetListing[];
  /** Incomplete sets (no manifest) whose newest object is older than the grace period, newest first. */
  incomplete: BackupSetListing[];
}

/**
 * Decides what pruning a job deletes, without deleting anything. Complete sets (with
 * `manifest.json`) go through {@link applyRetentionPolicy} (restic `forget` semantics,
 * `shared/notes/retention.md`) with their set-id time (UTC). Incomplete sets (a failed or running
 * backup: no manifest) are listed for removal only when their newest object's `lastModified` is more
 * than `incompleteGraceMs` before `now`.
 *
 * Safety guards beyond restic: the newest complete set (the one `latest` resolves to) is never
 * removed, and neither is the newest complete set not dated after `now` (so a set with a
 * future-dated id, e.g. from a wrong clock, cannot make pruning delete the backup just taken).
 * When the guard and not the policy keeps a set, its reasons are {@link NEWEST_SET_REASON} or
 * {@link NEWEST_PAST_SET_REASON}. A valid non-empty policy always keeps the newest set by itself.
 *
 * Prune must never run after a failed backup of the job: that rule is enforced by the caller (the
 * cronjob runs prune only after the job's backup succeeded), not here.
 *
 * @throws BackupError `CONFIG_INVALID` for an empty policy ("no policy was specified", as restic's
 *   `forget`), an invalid policy (naming the field, e.g. `retention.keepDaily`), or an invalid
 *   `incompleteGraceMs`; storage errors from listing (`STORAGE_UNREACHABLE`).
 */
export async function planPrune(options: PlanPruneOptions): Promise<PrunePlan> {
  const { catalog, job, policy } = options;
  const now = options.now ?? new Date();
  const graceMs = options.incompleteGraceMs ?? DEFAULT_INCOMPLETE_GRACE_MS;
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `incompleteGraceMs must be a number of milliseconds >= 0, got ${graceMs}`,
    );
  }
  if (resolveRetentionPolicy(policy).empty) {
    throw new BackupError(
      'CONFIG_INVALID',
      `retention policy for job ${job} is empty: no policy was specified, no backup sets will be removed (set keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly or keepWithin)`,
      { details: { job, field: 'retention' } },
    );
  }

  const sets = await catalog.listSets(job);
  const complete = sets.filter((set) => set.complete);
  const { keep, remove } = applyRetentionPolicy(complete, policy, { now });

  const newest = newestOf(complete);
  const newestPast = newestOf(complete.filter((set) => set.time.getTime() <= now.getTime()));
  const guarded = new Map<BackupSetListing, string>();
  if (newestPast) guarded.set(newestPast, NEWEST_PAST_SET_REASON);
  if (newest) guarded.set(newest, NEWEST_SET_REASON);
  for (const [set, reason] of guarded) {
    const index = remove.indexOf(set);
    if (index === -1) continue;
    remove.splice(index, 1);
    keep.push({ backup: set, reasons: [reason] });
  }
  keep.sort((a, b) => b.backup.time.getTime() - a.backup.time.getTime());

  const incomplete = sets.filter(
    (set) => !set.complete && now.getTime() - set.lastModified.getTime() > graceMs,
  );
  return { job, now, keep, remove, incomplete };
}

function newestOf(sets: readonly BackupSetListing[]): BackupSetListing | undefined {
  let newest: BackupSetListing | undefined;
  for (const set of sets) if (!newest || set.time.getTime() > newest.time.getTime()) newest = set;
  return newest;
}
