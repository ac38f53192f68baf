import { BackupError } from '@backup/core';
import { type Lsn, parseLsn } from '../physical/lsn.js';

/** One line of a timeline history file: `timeline` was left for the next one at `switchpoint`. */
export interface TimelineHistoryEntry {
  /** A parent timeline. */
  timeline: number;
  /** First LSN that is no longer on `timeline` (the new timeline starts there). */
  switchpoint: Lsn;
  /** Free text (`no recovery target specified`, `before 2026-01-21 ...`). */
  reason: string;
}

/**
 * Parses `TTTTTTTT.history` (written at promotion): one line per ancestor timeline,
 * `<parent tli>\t<switchpoint LSN>\t<reason>`, oldest first; `#` comments and blank lines are
 * skipped (PG15 `src/backend/access/transam/timeline.c` `readTimeLineHistory`).
 * @throws BackupError `VERIFY_FAILED` for a malformed line or timelines not in increasing order.
 */
export function parseTimelineHistory(text: string): TimelineHistoryEntry[] {
  const entries: TimelineHistoryEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\d+)\s+([0-9A-Fa-f]+\/[0-9A-Fa-f]+)\s*(.*)$/.exec(line);
    if (!match) throw new BackupError('VERIFY_FAILED', `Malformed timeline history line "${line}"`);
    const timeline = Number(match[1]);
    if (entries.length > 0 && timeline <= entries[entries.length - 1]!.timeline) {
      throw new BackupError('VERIFY_FAILED', `Timeline history is not in increasing order at "${line}"`);
    }
    entries.push({
      timeline,
      switchpoint: parseLsn(match[2]!, 'history switchpoint'),
      reason: match[3] ?? '',
    });
  }
  return entries;
}
