import { Duration, int } from 'neo4j-driver';
import { codecError } from './codecError.js';
import type { NumberOrInteger } from './graphValue.js';

const NANOS = 1_000_000_000n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DURATION_RE =
  /^([-+])?P(?:([-+]?\d+)Y)?(?:([-+]?\d+)M)?(?:([-+]?\d+)W)?(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?)(\d+)(?:[.,](\d{1,9}))?S)?)?$/;

/**
 * Writes a Cypher DURATION (months, days, seconds, nanoseconds: what Bolt carries) as the ISO
 * 8601 text Neo4j's `DurationValue.toString()` writes and `apoc.export.json.all` exports:
 * `P5M1DT12H`, `P1Y2M3DT4H5M6.000000007S`, `PT-0.5S`, `PT0S`. Months are split into years and
 * months, seconds into hours, minutes and seconds with 1-9 fraction digits; each time component
 * carries the sign of the time part. {@link parseDuration} reads it back exactly.
 *
 * @param months Months (int64).
 * @param days Days (int64).
 * @param seconds Seconds (int64).
 * @param nanoseconds Nanoseconds, normally 0..999,999,999 (the driver normalizes).
 */
export function formatDuration(
  months: NumberOrInteger,
  days: NumberOrInteger,
  seconds: NumberOrInteger,
  nanoseconds: NumberOrInteger,
): string {
  const mo = BigInt(String(months));
  const d = BigInt(String(days));
  const total = BigInt(String(seconds)) * NANOS + BigInt(String(nanoseconds));
  let out = 'P';
  const years = mo / 12n; // truncates toward zero, like Java's long division
  const restMonths = mo % 12n;
  if (years !== 0n) out += `${years}Y`;
  if (restMonths !== 0n) out += `${restMonths}M`;
  if (d !== 0n) out += `${d}D`;
  if (total !== 0n) {
    const sign = total < 0n ? '-' : '';
    const abs = total < 0n ? -total : total;
    const hours = abs / (3600n * NANOS);
    const minutes = (abs / (60n * NANOS)) % 60n;
    const secs = (abs / NANOS) % 60n;
    const fraction = abs % NANOS;
    out += 'T';
    if (hours !== 0n) out += `${sign}${hours}H`;
    if (minutes !== 0n) out += `${sign}${minutes}M`;
    if (secs !== 0n || fraction !== 0n) {
      const digits = fraction === 0n ? '' : `.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}`;
      out += `${sign}${secs}${digits}S`;
    }
  }
  return out === 'P' ? 'PT0S' : out;
}

/**
 * Parses an ISO 8601 duration (`P5M1DT12H`, `P2W`, `-P1D`, `PT-1.5S`; integral components, up to 9
 * fraction digits on seconds) into the driver's `Duration` with `Integer` fields, normalized as
 * Bolt carries it: months, days, seconds, and nanoseconds in 0..999,999,999.
 *
 * @throws BackupError `VERIFY_FAILED` for another text or a component outside int64.
 */
export function parseDuration(text: unknown, where: string): Duration {
  const m = typeof text === 'string' ? DURATION_RE.exec(text) : null;
  const time = typeof text === 'string' ? text.indexOf('T') : -1;
  if (
    !m ||
    (m.slice(2, 6).every((g) => g === undefined) &&
      m[6] === undefined &&
      m[7] === undefined &&
      m[9] === undefined)
  ) {
    throw codecError(
      `${where}: DURATION must be an ISO 8601 duration like "P5M1DT12H", got ${JSON.stringify(text)}`,
    );
  }
  if (time >= 0 && m[6] === undefined && m[7] === undefined && m[9] === undefined) {
    throw codecError(`${where}: DURATION ${text as string} has a "T" but no time component`);
  }
  const sign = m[1] === '-' ? -1n : 1n;
  const big = (g: string | undefined) => (g === undefined ? 0n : BigInt(g));
  const months = sign * (big(m[2]) * 12n + big(m[3]));
  const days = sign * (big(m[4]) * 7n + big(m[5]));
  const secSign = m[8] === '-' ? -1n : 1n;
  const fraction = m[10] === undefined ? 0n : BigInt(m[10].padEnd(9, '0'));
  const totalNanos =
    sign * ((big(m[6]) * 3600n + big(m[7]) * 60n) * NANOS + secSign * (big(m[9]) * NANOS + fraction));
  let seconds = totalNanos / NANOS;
  let nanos = totalNanos % NANOS;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NANOS;
  }
  for (const [name, value] of [
    ['months', months],
    ['days', days],
    ['seconds', seconds],
  ] as const) {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw codecError(`${where}: DURATION ${text as string} has ${name} outside int64`);
    }
  }
  return new Duration(
    int(months.toString()),
    int(days.toString()),
    int(seconds.toString()),
    int(nanos.toString()),
  );
}
