import { resolveRetentionPolicy } from './resolveRetentionPolicy.js';

/**
 * A retention policy with restic `forget` semantics (`shared/notes/retention.md`; restic
 * `internal/data/snapshot_policy.go`, `ExpirePolicy`). Rules are independent and OR-ed: a backup
 * is kept when any rule keeps it.
 *
 * Counts are integers: `-1` = unlimited, `0` or absent = rule off. A count rule keeps the newest
 * backup of each of the N most recent hours/days/ISO weeks/months/years **that contain a backup**
 * (empty periods use up nothing; the result does not depend on the current time), plus the oldest
 * backup while the count is not used up. Calendar periods are taken in UTC (see
 * `applyRetentionPolicy`).
 *
 * In YAML/JSON config, validate with `retentionPolicySchema` (which also accepts `unlimited`).
 */
export interface RetentionPolicy {
  /** Keep the N newest backups (`--keep-last`). */
  keepLast?: number | undefined;
  /** Keep the newest backup of each of the N most recent UTC hours that have one (`--keep-hourly`). */
  keepHourly?: number | undefined;
  /** Keep the newest backup of each of the N most recent UTC days that have one (`--keep-daily`). */
  keepDaily?: number | undefined;
  /** Keep the newest backup of each of the N most recent ISO 8601 weeks (UTC) that have one (`--keep-weekly`). */
  keepWeekly?: number | undefined;
  /** Keep the newest backup of each of the N most recent UTC calendar months that have one (`--keep-monthly`). */
  keepMonthly?: number | undefined;
  /** Keep the newest backup of each of the N most recent UTC calendar years that have one (`--keep-yearly`). */
  keepYearly?: number | undefined;
  /**
   * Keep every backup newer than this duration before the newest backup that is not in the future
   * (`--keep-within`), e.g. `7d`, `1y2m3d4h` (`m` = months; no weeks or minutes). Empty or zero =
   * off. Syntax: `parseRetentionDuration`.
   */
  keepWithin?: string | undefined;
}

/**
 * The seeds' policy (`shared/seeds/` runbooks): 7 daily, 4 weekly, 12 monthly. On restic's
 * 103-snapshot test list it keeps 17 (retention.md section 1.4).
 */
export const DEFAULT_RETENTION_POLICY: Readonly<RetentionPolicy> = Object.freeze({
  keepDaily: 7,
  keepWeekly: 4,
  keepMonthly: 12,
});

/**
 * True when the policy has no active rule: every count is 0 or absent and `keepWithin` is absent,
 * empty or zero. Applying such a policy removes every backup (restic >= 0.17 `ApplyPolicy`), so
 * callers must refuse to run it, as restic's `forget` does ("no policy was specified, no snapshots
 * will be removed"); `planPrune` does. Source: `cmd/restic/cmd_forget.go`, `ExpirePolicy.Empty`.
 *
 * @throws BackupError `CONFIG_INVALID` naming the field when the policy is invalid (a count that is
 *   not an integer >= -1, a malformed `keepWithin`).
 */
export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return resolveRetentionPolicy(policy).empty;
}
