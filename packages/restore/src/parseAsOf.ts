import { BackupError, parseSetId } from '@backup/core';

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses `--as-of`: an ISO 8601 date and time (`2026-01-21T02:30:00Z`, `2026-01-21 04:30+02:00`;
 * without an offset it is UTC, like set ids) or a set id (`20260121-023000`, UTC). A date without
 * a time is refused (ambiguous during an incident). Throws `CONFIG_INVALID` naming `--as-of`.
 */
export function parseAsOf(text: string): Date {
  const trimmed = text.trim();
  const fromId = parseSetId(trimmed);
  if (fromId) return fromId;
  const match = ISO.exec(trimmed);
  const time = match ? Date.parse(`${match[1]}T${match[2]}${match[3] ?? 'Z'}`) : Number.NaN;
  if (!Number.isFinite(time)) {
    throw new BackupError(
      'CONFIG_INVALID',
      `--as-of "${text}" is not a time: use ISO 8601 like 2026-01-21T02:30:00Z (UTC without an offset) or a set id like 20260121-023000`,
    );
  }
  return new Date(time);
}
