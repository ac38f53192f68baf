import {
  Date as CypherDate,
  DateTime,
  type Integer,
  int,
  LocalDateTime,
  LocalTime,
  Time,
} from 'neo4j-driver';
import { codecError } from './codecError.js';

// ISO 8601 texts as the driver's `toString()` writes them (neo4j-driver-core
// `internal/temporal-util.js`: years outside 0000-9999 as `+010000`/`-000001`, seconds always,
// 9-digit nanoseconds when non-zero, offsets `Z`/`+02:00`/`+02:00:30`, zone ids in brackets) and as
// java.time's `toString()` writes them in APOC exports (`19:32`, `.004`, `+10000`).
const DATE = String.raw`([+-]\d{4,}|\d{4})-(\d{2})-(\d{2})`;
const TIME = String.raw`(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?`;
const OFFSET = String.raw`(Z|[+-]\d{2}:\d{2}(?::\d{2})?)`;
const DATE_RE = new RegExp(`^${DATE}$`);
const LOCAL_TIME_RE = new RegExp(`^${TIME}$`);
const TIME_RE = new RegExp(`^${TIME}${OFFSET}$`);
const LOCAL_DATETIME_RE = new RegExp(`^${DATE}T${TIME}$`);
const DATETIME_RE = new RegExp(`^${DATE}T${TIME}${OFFSET}?(?:\\[([^\\]]+)\\])?$`);

type Parts = (string | undefined)[];

/**
 * Parses a Cypher DATE (`2018-10-10`, `+010000-01-01`, `-000001-12-31`) into the driver's `Date`
 * with `Integer` fields.
 *
 * @throws BackupError `VERIFY_FAILED` when the text is not such a date or names no valid day.
 */
export function parseDate(text: unknown, where: string): CypherDate {
  const m = match(DATE_RE, text, where, 'DATE', '2018-10-10');
  return build(where, () => new CypherDate(year(m[1]), num(m[2]), num(m[3])));
}

/**
 * Parses a Cypher LOCAL TIME (`12:50:35.556000000`, `12:50`) into the driver's `LocalTime`.
 *
 * @throws BackupError `VERIFY_FAILED` for another text.
 */
export function parseLocalTime(text: unknown, where: string): LocalTime {
  const m = match(LOCAL_TIME_RE, text, where, 'LOCAL TIME', '12:50:35.556');
  return build(where, () => new LocalTime(num(m[1]), num(m[2]), num(m[3]), nanos(m[4])));
}

/**
 * Parses a Cypher ZONED TIME (`12:50:35.556+01:00`, `08:00:00Z`) into the driver's `Time`.
 *
 * @throws BackupError `VERIFY_FAILED` for another text.
 */
export function parseTime(text: unknown, where: string): Time {
  const m = match(TIME_RE, text, where, 'ZONED TIME', '12:50:35.556+01:00');
  return build(where, () => new Time(num(m[1]), num(m[2]), num(m[3]), nanos(m[4]), offset(m[5]!)));
}

/**
 * Parses a Cypher LOCAL DATETIME (`2015-07-04T19:32:24`) into the driver's `LocalDateTime`.
 *
 * @throws BackupError `VERIFY_FAILED` for another text.
 */
export function parseLocalDateTime(text: unknown, where: string): LocalDateTime {
  const m = match(LOCAL_DATETIME_RE, text, where, 'LOCAL DATETIME', '2015-07-04T19:32:24');
  return build(
    where,
    () => new LocalDateTime(year(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6]), nanos(m[7])),
  );
}

/**
 * Parses a Cypher ZONED DATETIME into the driver's `DateTime`: with an offset
 * (`2018-10-18T14:21:40.004Z`, `...+02:00`), a named zone (`...[Europe/Berlin]`) or both
 * (`2015-07-04T19:32:24+02:00[Europe/Berlin]`, how the driver prints a zoned value it received
 * over Bolt 5 and how java.time prints a `ZonedDateTime`). Both parts are kept as given.
 *
 * @throws BackupError `VERIFY_FAILED` for another text, a text with neither offset nor zone, or a
 *   zone id the runtime's time zone database does not know.
 */
export function parseDateTime(text: unknown, where: string): DateTime {
  const m = match(DATETIME_RE, text, where, 'ZONED DATETIME', '2015-07-04T19:32:24+02:00[Europe/Berlin]');
  if (m[8] === undefined && m[9] === undefined) {
    throw codecError(`${where}: ZONED DATETIME ${String(text)} has neither an offset nor a zone id`);
  }
  return build(
    where,
    () =>
      new DateTime(
        year(m[1]),
        num(m[2]),
        num(m[3]),
        num(m[4]),
        num(m[5]),
        num(m[6]),
        nanos(m[7]),
        m[8] === undefined ? undefined : offset(m[8]),
        m[9] ?? null,
      ),
  );
}

function match(re: RegExp, text: unknown, where: string, type: string, example: string): Parts {
  const m = typeof text === 'string' ? re.exec(text) : null;
  if (!m) {
    throw codecError(
      `${where}: ${type} must be an ISO 8601 string like "${example}", got ${JSON.stringify(text)}`,
    );
  }
  return [...m];
}

function build<T>(where: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw codecError(`${where}: ${(error as Error).message}`, error);
  }
}

function num(text: string | undefined): Integer {
  return int(text === undefined ? 0 : Number(text));
}

function year(text: string | undefined): Integer {
  return int(Number(text));
}

function nanos(fraction: string | undefined): Integer {
  return int(fraction === undefined ? 0 : Number(fraction.padEnd(9, '0')));
}

function offset(text: string): Integer {
  if (text === 'Z') return int(0);
  const sign = text.startsWith('-') ? -1 : 1;
  const [h, m, s] = text.slice(1).split(':').map(Number);
  return int(sign * (h! * 3600 + m! * 60 + (s ?? 0)));
}
