import type { CheckItem, UnitCheck } from '../UnitCheck.js';
import type { CollectionState } from './inspectCollection.js';

/** What one collection unit recorded at backup time. */
export interface RecordedPoints {
  /**
   * Points at backup time: `exportedPoints` (export sets: the points the file holds), else
   * `pointsCount` (`points_count` read right before the snapshot); `undefined` when neither.
   */
  points: number | undefined;
  /** True for `exportedPoints`, the artifact's own count. */
  exact: boolean;
}

/** Reads a collection unit's recorded points count (see {@link RecordedPoints}). */
export function recordedPoints(metadata: Record<string, unknown>): RecordedPoints {
  const exported = metadata['exportedPoints'];
  if (typeof exported === 'number') return { points: exported, exact: true };
  const count = metadata['pointsCount'];
  return { points: typeof count === 'number' ? count : undefined, exact: false };
}

/**
 * Compares a restored collection's exact points count with the count recorded at backup time. A
 * different count, or a missing collection, fails the check. For snapshot sets the recorded count is
 * Qdrant's `points_count` read just before the snapshot was created: a collection written during
 * the backup can differ by those writes (the check says so in a warning).
 */
export function comparePointCounts(
  unit: string,
  target: string,
  recorded: RecordedPoints,
  restored: CollectionState,
): UnitCheck {
  const actual = restored.exists ? restored.points : undefined;
  if (recorded.points === undefined) {
    return {
      unit,
      target,
      ok: restored.exists,
      compared: false,
      summary: restored.exists
        ? `${restored.points} points restored (the set recorded no count to compare with)`
        : 'the collection is missing after the restore',
      items: [
        {
          name: restored.collection,
          kind: 'collection',
          ...(actual === undefined ? {} : { actual }),
          status: restored.exists ? 'info' : 'missing',
        },
      ],
      warnings: [],
    };
  }
  const status: CheckItem['status'] = !restored.exists
    ? 'missing'
    : restored.points === recorded.points
      ? 'ok'
      : 'mismatch';
  const item: CheckItem = {
    name: restored.collection,
    kind: 'collection',
    expected: recorded.points,
    ...(actual === undefined ? {} : { actual }),
    status,
  };
  const warnings =
    status === 'mismatch' && !recorded.exact
      ? [
          'the recorded count was read just before the snapshot; writes made during the backup also show up here',
        ]
      : [];
  const summary =
    status === 'ok'
      ? `${recorded.points} points: matches the backup`
      : status === 'missing'
        ? `collection ${restored.collection} is missing after the restore (backup had ${recorded.points} points)`
        : `${restored.points} points, backup had ${recorded.points}`;
  return { unit, target, ok: status === 'ok', compared: true, summary, items: [item], warnings };
}
