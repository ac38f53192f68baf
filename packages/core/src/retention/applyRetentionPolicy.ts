import { BackupError } from '../errors.js';
import { formatRetentionDuration, type RetentionDuration } from './RetentionDuration.js';
import type { RetentionPolicy } from './RetentionPolicy.js';
import { COUNT_RULES, type CountRule, resolveRetentionPolicy } from './resolveRetentionPolicy.js';

/** A backup the policy keeps, with restic's reasons (`matches` in `restic forget --json`). */
export interface KeptBackup<T> {
  /** The backup, as passed in. */
  backup: T;
  /**
   * Why it is kept, in restic's order: `within <dur>`, then `last snapshot`, `hourly snapshot`,
   * `daily snapshot`, `weekly snapshot`, `monthly snapshot`, `yearly snapshot`. A count rule that
   * keeps the oldest backup only through the oldest-snapshot rule says `oldest <rule> snapshot`
   * (e.g. `oldest monthly snapshot`). Never empty.
   */
  reasons: string[];
}

/** Result of {@link applyRetentionPolicy}. Every input backup is in exactly one of the two lists. */
export interface RetentionResult<T> {
  /** Kept backups, newest first. */
  keep: Array<KeptBackup<T>>;
  /** Backups to remove, newest first. */
  remove: T[];
}

/** Options of {@link applyRetentionPolicy}. */
export interface ApplyRetentionOptions {
  /**
   * The current time; default `new Date()`. Only `keepWithin` uses it, and only to ignore backups
   * dated in the future when choosing the reference backup (restic `findLatestTimestamp`).
   */
  now?: Date | undefined;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Go's zero `time.Time`, 0001-01-01T00:00:00Z: restic's `latest` when every backup is in the future. */
const GO_ZERO_TIME_MS = -62_135_596_800_000;

type BucketKey = (time: Date, position: number) => number;

/** restic's bucket functions (`snapshot_policy.go`: `always`, `ymdh`, `ymd`, `yw`, `ym`, `y`), in UTC. */
const BUCKETS: Readonly<Record<CountRule, { key: BucketKey; reason: string }>> = {
  keepLast: { key: (_t, position) => position, reason: 'last snapshot' },
  keepHourly: {
    key: (t) =>
      t.getUTCFullYear() * 1_000_000 +
      (t.getUTCMonth() + 1) * 10_000 +
      t.getUTCDate() * 100 +
      t.getUTCHours(),
    reason: 'hourly snapshot',
  },
  keepDaily: {
    key: (t) => t.getUTCFullYear() * 10_000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate(),
    reason: 'daily snapshot',
  },
  keepWeekly: { key: isoWeekKey, reason: 'weekly snapshot' },
  keepMonthly: { key: (t) => t.getUTCFullYear() * 100 + (t.getUTCMonth() + 1), reason: 'monthly snapshot' },
  keepYearly: { key: (t) => t.getUTCFullYear(), reason: 'yearly snapshot' },
};

/**
 * Applies a retention policy with restic `forget` semantics, exactly as specified in
 * `shared/notes/retention.md` sections 1.2 and 1.3 (restic `internal/data/snapshot_policy.go`
 * `ApplyPolicy`, `internal/data/snapshot.go` ordering, `doc/060_forget.rst`). It passes every case
 * of `shared/test-vectors/retention-restic.json` (restic's golden files).
 *
 * - **Order.** Backups may come in any order. They are stable-sorted newest first by instant; backups
 *   with equal times keep their input order, so the earlier-listed one counts as newer and is the
 *   one a bucket keeps (restic >= 0.14). Callers wanting another tie-break pre-sort the input.
 * - **Count rules** (last, hourly, daily, weekly, monthly, yearly, in that order) each walk the whole
 *   list: a backup is kept when its bucket key differs from the key this rule kept last, and uses up
 *   one unit of that rule (never for `-1`, unlimited). So each rule keeps the newest backup of each
 *   of the N most recent buckets that contain a backup. **Oldest-snapshot rule:** the oldest backup
 *   is kept by every rule that still has count left (or is unlimited), with reason
 *   `oldest <rule> snapshot` when its bucket was already used.
 * - **Buckets are computed in UTC** (hour, day, ISO 8601 week keyed `isoYear*100 + week`, calendar
 *   month and year). restic uses each snapshot's recorded wall clock; a `Date` has no recorded
 *   offset, so this equals restic on timestamps recorded in UTC, which is what our set ids are.
 * - **keepWithin** keeps backups strictly after `latest.AddDate(-y, -m, -d) - h hours`, where
 *   `latest` is the newest backup strictly before `now` (Go's zero time, year 1, when all are in the
 *   future, so then every backup is kept by it). `AddDate` normalises like Go (2024-03-31 minus 1m
 *   is 2024-03-02). Backups dated in the future are always kept by it; count rules do not ignore
 *   them. If the cut-off falls before the range of `Date` (about 270,000 years), every backup is
 *   within.
 * - **Empty policy** (all counts 0/absent, no `keepWithin`) keeps nothing, like restic >= 0.17:
 *   check {@link isEmptyPolicy} first and refuse to run it.
 *
 * @param backups - Anything with an `id` and a `time`; returned objects are the same references.
 * @param policy - The policy; counts `-1` = unlimited, `0`/absent = off.
 * @param options - `now` (default `new Date()`).
 * @returns `keep` (with reasons) and `remove`, both newest first.
 * @throws BackupError `CONFIG_INVALID` naming the field for an invalid policy
 *   (`retention.keepDaily must be an integer >= -1 ...`, a malformed `retention.keepWithin`), or for
 *   an invalid `now`; `INTERNAL` when a backup's `time` is not a valid `Date`.
 */
export function applyRetentionPolicy<T extends { id: string; time: Date }>(
  backups: readonly T[],
  policy: RetentionPolicy,
  options: ApplyRetentionOptions = {},
): RetentionResult<T> {
  const resolved = resolveRetentionPolicy(policy);
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new BackupError('CONFIG_INVALID', 'applyRetentionPolicy: now must be a valid Date');
  }
  for (const backup of backups) {
    if (!(backup.time instanceof Date) || Number.isNaN(backup.time.getTime())) {
      throw new BackupError('INTERNAL', `Backup ${backup.id} has no valid time`, {
        details: { id: backup.id },
      });
    }
  }

  // 1. Stable sort, newest first (Array.prototype.sort is stable).
  const sorted = [...backups].sort((a, b) => b.time.getTime() - a.time.getTime());
  const result: RetentionResult<T> = { keep: [], remove: [] };
  if (sorted.length === 0) return result;

  // 3. The reference for keep-within: newest backup strictly before now.
  let cutoff = Number.NEGATIVE_INFINITY;
  let withinReason = '';
  if (resolved.within) {
    const nowMs = now.getTime();
    let latest = GO_ZERO_TIME_MS;
    for (const backup of sorted) {
      const t = backup.time.getTime();
      if (t > latest && t < nowMs) latest = t;
    }
    cutoff = withinCutoff(latest, resolved.within);
    withinReason = `within ${formatRetentionDuration(resolved.within)}`;
  }

  // 4. Count rules in restic's order, each with its own remaining count and last kept key.
  const rules = COUNT_RULES.filter((rule) => resolved.counts[rule] !== 0).map((rule) => ({
    remaining: resolved.counts[rule],
    lastKey: -1,
    ...BUCKETS[rule],
  }));

  // 5. Walk newest first.
  const last = sorted.length - 1;
  sorted.forEach((backup, position) => {
    const reasons: string[] = [];
    if (resolved.within && backup.time.getTime() > cutoff) reasons.push(withinReason);
    for (const rule of rules) {
      if (rule.remaining > 0 || rule.remaining === -1) {
        const key = rule.key(backup.time, position);
        if (key !== rule.lastKey || position === last) {
          reasons.push(key === rule.lastKey ? `oldest ${rule.reason}` : rule.reason);
          rule.lastKey = key;
          if (rule.remaining > 0) rule.remaining -= 1;
        }
      }
    }
    if (reasons.length > 0) result.keep.push({ backup, reasons });
    else result.remove.push(backup);
  });
  return result;
}

/**
 * ISO 8601 week key `isoYear * 100 + isoWeek` of the UTC date of `time`, as Go's
 * `time.Time.ISOWeek()` (restic's `yw`): weeks run Monday to Sunday and belong to the year of their
 * Thursday, so 2021-01-03 is 202053 and 2024-12-30 is 202501.
 */
function isoWeekKey(time: Date): number {
  const ms = time.getTime();
  const dayStart = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  const weekday = (time.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(dayStart + (3 - weekday) * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const januaryFirst = new Date(0);
  januaryFirst.setUTCFullYear(isoYear, 0, 1); // not Date.UTC: it maps years 0-99 to 1900-1999
  const week = Math.floor((thursday.getTime() - januaryFirst.getTime()) / (7 * DAY_MS)) + 1;
  return isoYear * 100 + week;
}

/**
 * restic's keep-within cut-off: `latest.AddDate(-years, -months, -days).Add(-hours * time.Hour)`,
 * in UTC. `setUTCFullYear(y, m, d)` normalises an overflowing month, then day, exactly like Go's
 * `time.Date`. Returns -Infinity when the date falls outside the range of `Date`.
 */
function withinCutoff(latestMs: number, within: RetentionDuration): number {
  const latest = new Date(latestMs);
  const shifted = new Date(latestMs);
  shifted.setUTCFullYear(
    latest.getUTCFullYear() - within.years,
    latest.getUTCMonth() - within.months,
    latest.getUTCDate() - within.days,
  );
  const cutoff = shifted.getTime() - within.hours * HOUR_MS;
  return Number.isNaN(cutoff) ? Number.NEGATIVE_INFINITY : cutoff;
}
