import { BackupError } from '../errors.js';
import {
  isZeroRetentionDuration,
  parseRetentionDuration,
  type RetentionDuration,
} from './RetentionDuration.js';
import type { RetentionPolicy } from './RetentionPolicy.js';

/** The six count rules in restic's fixed evaluation order (`ApplyPolicy`'s `buckets` array). */
export const COUNT_RULES = [
  'keepLast',
  'keepHourly',
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
] as const;

/** Name of one count rule of {@link RetentionPolicy}. */
export type CountRule = (typeof COUNT_RULES)[number];

/** A validated policy: every count filled in (0 = off, -1 = unlimited) and `keepWithin` parsed. */
export interface ResolvedRetentionPolicy {
  counts: Record<CountRule, number>;
  /** Parsed `keepWithin`, or `undefined` when absent, empty or zero (rule off). */
  within: RetentionDuration | undefined;
  /** True when no rule is active (see `isEmptyPolicy`). */
  empty: boolean;
}

/**
 * Validates a policy given in code (config goes through `retentionPolicySchema`) and fills in
 * defaults. Internal to the retention module.
 *
 * @param field - Prefix of the field names in error messages; default `retention`.
 * @throws BackupError `CONFIG_INVALID`, e.g. `retention.keepDaily must be an integer >= -1 ...`, or
 *   from `parseRetentionDuration` for `retention.keepWithin`.
 */
export function resolveRetentionPolicy(
  policy: RetentionPolicy,
  field = 'retention',
): ResolvedRetentionPolicy {
  if (policy === null || typeof policy !== 'object') {
    throw new BackupError(
      'CONFIG_INVALID',
      `${field} must be an object with keepLast, keepDaily, ... fields`,
    );
  }
  const counts = {} as Record<CountRule, number>;
  let empty = true;
  for (const rule of COUNT_RULES) {
    const value: unknown = policy[rule] ?? 0;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -1) {
      throw new BackupError(
        'CONFIG_INVALID',
        `${field}.${rule} must be an integer >= -1 (-1 = unlimited, 0 = off), got ${JSON.stringify(value) ?? String(value)}`,
        { details: { field: `${field}.${rule}` } },
      );
    }
    counts[rule] = value;
    if (value !== 0) empty = false;
  }
  let within: RetentionDuration | undefined;
  if (policy.keepWithin !== undefined) {
    const parsed = parseRetentionDuration(policy.keepWithin, `${field}.keepWithin`);
    if (!isZeroRetentionDuration(parsed)) {
      within = parsed;
      empty = false;
    }
  }
  return { counts, within, empty };
}
