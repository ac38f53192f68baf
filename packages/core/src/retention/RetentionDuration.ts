import { BackupError } from '../errors.js';

/**
 * A `keep-within` duration in restic's calendar units (restic `internal/data/duration.go`,
 * `Duration`). The parts are kept apart, never normalised: `6d24h` is not `7d`, and `1m` is one
 * calendar month (applied with Go `AddDate` semantics by `applyRetentionPolicy`), not 30 days.
 * Every part is a non-negative safe integer; all zero means "no duration" (the rule is off).
 */
export interface RetentionDuration {
  /** Calendar years (`y`). */
  years: number;
  /** Calendar months (`m`: months, never minutes). */
  months: number;
  /** Calendar days (`d`). */
  days: number;
  /** Hours (`h`), an absolute 3600 s each. */
  hours: number;
}

const UNITS: Readonly<Record<string, keyof RetentionDuration>> = {
  y: 'years',
  m: 'months',
  d: 'days',
  h: 'hours',
};

/**
 * Parses a restic duration such as `1y2m3d4h` (restic `internal/data/duration.go`,
 * `ParseDuration`, plus the CLI's rejection of negative parts from `cmd/restic/cmd_forget.go`).
 *
 * Grammar: leading/trailing whitespace is ignored, then zero or more `<digits><unit>` pairs with unit
 * `y` (years), `m` (months), `d` (days) or `h` (hours), case-sensitive, in any order. A repeated unit
 * overwrites the earlier value (`1d2d` is `2d`), as in restic. The empty string is the zero duration
 * (the rule is off).
 *
 * @param text - The duration text, e.g. `7d`, `1y1d1m`, `13d23h`.
 * @param field - Config field named in error messages; default `retention.keepWithin`.
 * @returns The parts, exactly as written (no normalisation).
 * @throws BackupError `CONFIG_INVALID` naming `field` and `text` for an unknown unit (`2w`: restic has
 *   no weeks or minutes), a negative number (`-1d`), a number without unit (`5`), a unit without
 *   number (`d`), inner whitespace, or a number that is not a safe integer.
 */
export function parseRetentionDuration(text: string, field = 'retention.keepWithin'): RetentionDuration {
  const fail = (why: string): never => {
    throw new BackupError(
      'CONFIG_INVALID',
      `${field} must be a duration like 1y2m3d4h (units y, m = months, d, h; no weeks or minutes), got ${JSON.stringify(text)}: ${why}`,
      { details: { field, value: text } },
    );
  };
  if (typeof text !== 'string') return fail('not a string');
  const duration: RetentionDuration = { years: 0, months: 0, days: 0, hours: 0 };
  const s = text.trim();
  let i = 0;
  while (i < s.length) {
    if (s[i] === '-') fail('negative values are not allowed');
    const start = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    if (i === start) fail(`no number found at ${JSON.stringify(s.slice(start))}`);
    const digits = s.slice(start, i);
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) fail(`number ${digits} is too large`);
    if (i >= s.length) fail(`no unit found after number ${digits}`);
    const unit = UNITS[s[i]!];
    if (unit === undefined) fail(`invalid unit ${JSON.stringify(s[i])} found after number ${digits}`);
    duration[unit!] = value;
    i++;
  }
  return duration;
}

/**
 * Formats a duration the way restic displays it (restic `internal/data/duration.go`,
 * `Duration.String`): parts in the order y, m, d, h, zero parts dropped, no normalisation.
 * `{ years: 1, months: 1, days: 1 }` is `1y1m1d` (so `1y1d1m` is shown as `1y1m1d`), `6d24h` stays
 * `6d24h`, and the zero duration is the empty string. Used in the `within <dur>` keep reason.
 */
export function formatRetentionDuration(duration: RetentionDuration): string {
  let out = '';
  if (duration.years !== 0) out += `${duration.years}y`;
  if (duration.months !== 0) out += `${duration.months}m`;
  if (duration.days !== 0) out += `${duration.days}d`;
  if (duration.hours !== 0) out += `${duration.hours}h`;
  return out;
}

/** True when every part of `duration` is zero (a `keep-within` with it is off). */
export function isZeroRetentionDuration(duration: RetentionDuration): boolean {
  return duration.years === 0 && duration.months === 0 && duration.days === 0 && duration.hours === 0;
}
