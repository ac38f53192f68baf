import { SET_ID_PATTERN } from '../manifest/schema.js';

/** Formats a time as a backup set id, `YYYYMMDD-HHMMSS` in UTC: 2026-01-21T02:00:00Z -> `20260121-020000`. */
export function formatSetId(time: Date): string {
  const iso = time.toISOString(); // 2026-01-21T02:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Parses a set id back to its UTC time, or `undefined` when `id` is not a set id. */
export function parseSetId(id: string): Date | undefined {
  if (!SET_ID_PATTERN.test(id)) return undefined;
  const t = Date.UTC(
    +id.slice(0, 4),
    +id.slice(4, 6) - 1,
    +id.slice(6, 8),
    +id.slice(9, 11),
    +id.slice(11, 13),
    +id.slice(13, 15),
  );
  const d = new Date(t);
  return formatSetId(d) === id ? d : undefined;
}
