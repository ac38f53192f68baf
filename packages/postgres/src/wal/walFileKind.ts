import { BackupError } from '@backup/core';

/**
 * What an archived WAL file is, from its name (PG15 `src/include/access/xlog_internal.h`):
 * - `segment`: `TTTTTTTTXXXXXXXXYYYYYYYY`, a full WAL segment;
 * - `partial`: `<segment>.partial`, the last, incomplete segment of a timeline a promoted server left;
 * - `backup`: `<segment>.<8 hex offset>.backup`, the backup history file of a base backup;
 * - `history`: `TTTTTTTT.history`, the timeline history file written at promotion.
 */
export type WalFileKind = 'segment' | 'partial' | 'backup' | 'history';

/** A parsed WAL file name. */
export interface WalFileName {
  /** The file name as PostgreSQL passes it (`%f`). */
  name: string;
  kind: WalFileKind;
  /** Timeline, from the first 8 hex digits. */
  timeline: number;
  /** The timeline as 8 upper-case hex digits: the storage directory (`00000001`). */
  timelineHex: string;
  /**
   * For every kind but `history`: the 16 hex digits after the timeline (log and segment number),
   * which sort like the segment number across timelines; `undefined` for history files.
   */
  position: string | undefined;
}

const PATTERNS: ReadonlyArray<[WalFileKind, RegExp]> = [
  ['segment', /^([0-9A-F]{8})([0-9A-F]{16})$/],
  ['partial', /^([0-9A-F]{8})([0-9A-F]{16})\.partial$/],
  ['backup', /^([0-9A-F]{8})([0-9A-F]{16})\.[0-9A-F]{8}\.backup$/],
  ['history', /^([0-9A-F]{8})\.history$/],
];

/**
 * Parses a WAL file name (`%f`, or the base name of `%p`); `undefined` when it is none of the
 * {@link WalFileKind}s.
 */
export function parseWalFile(name: string): WalFileName | undefined {
  for (const [kind, pattern] of PATTERNS) {
    const match = pattern.exec(name);
    if (!match) continue;
    const timeline = Number.parseInt(match[1]!, 16);
    if (timeline === 0) return undefined;
    return { name, kind, timeline, timelineHex: match[1]!, position: match[2] };
  }
  return undefined;
}

/**
 * Like {@link parseWalFile} but throws.
 * @throws BackupError `CONFIG_INVALID` naming the file and the accepted forms.
 */
export function requireWalFile(name: string): WalFileName {
  const parsed = parseWalFile(name);
  if (!parsed) {
    throw new BackupError(
      'CONFIG_INVALID',
      `"${name}" is not a WAL file name: expected a segment (24 hex digits), <segment>.partial, ` +
        '<segment>.<offset>.backup or <timeline>.history (pass %p to wal-push, %f to wal-fetch)',
    );
  }
  return parsed;
}
