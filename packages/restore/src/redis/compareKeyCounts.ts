import type { CheckItem, UnitCheck } from '../UnitCheck.js';
import type { RecordedKeyCounts } from './recordedKeyCounts.js';

/** Input of {@link compareKeyCounts}. */
export interface CompareKeyCountsInput {
  unit: string;
  /** Where the unit went (`db0, db3`), for the check. */
  target: string;
  recorded: RecordedKeyCounts;
  /** The databases the unit wrote to (its scope); others of the target are not compared. */
  databases: readonly number[];
  /** Keys found per database after the restore (`INFO keyspace`: what `DBSIZE` says). */
  actual: ReadonlyMap<number, number>;
  /** RESTOREs the engine sent per database for this unit (RDB units: the artifact's own keys). */
  sent?: ReadonlyMap<number, number> | undefined;
  /** Keys whose expiry had passed when restored (Redis drops them): may be missing. */
  expired: number;
  /** Keys the export listed twice (keys mode; restored once): may be missing. */
  duplicates: number;
  /** `--force`: the target held keys before; keys not in the backup stay. */
  replace: boolean;
}

/**
 * Compares the keys per database after a Redis restore with the counts recorded at backup time.
 * A database with fewer or more keys than recorded (`mismatch`), or with none (`missing`), fails
 * the check unless the restore itself explains the difference, which is then a warning:
 *
 * - fewer keys, by at most the expired keys plus the duplicates of the artifact;
 * - more keys after `--force` (keys of the target that were not in the backup stay);
 * - RDB units (counts from `INFO` just before the snapshot): the target holds exactly the keys the
 *   artifact had (`sent`, less expired ones), so the source changed between count and snapshot.
 *
 * A database the backup recorded no keys for that has keys now is `extra` (a warning with `--force`
 * or when it holds exactly what the artifact had, a failure otherwise).
 */
export function compareKeyCounts(input: CompareKeyCountsInput): UnitCheck {
  const { unit, target, recorded, actual } = input;
  const databases = [...new Set(input.databases)].sort((a, b) => a - b);
  const actualTotal = databases.reduce((n, db) => n + (actual.get(db) ?? 0), 0);
  if (recorded.keys === undefined) {
    return {
      unit,
      target,
      ok: true,
      compared: false,
      summary: `${databases.length} database(s), ${actualTotal} keys restored (the set recorded no counts to compare with)`,
      items: databases.map((db) => ({
        name: `db${db}`,
        kind: 'keys',
        actual: actual.get(db) ?? 0,
        status: 'info',
      })),
      warnings: [],
    };
  }
  const slack = input.expired + input.duplicates;
  const items: CheckItem[] = [];
  const warnings: string[] = [];
  const failed: CheckItem[] = [];
  for (const db of databases) {
    const expected = recorded.keys.get(db);
    const found = actual.get(db) ?? 0;
    const sent = input.sent?.get(db);
    const status: CheckItem['status'] =
      expected === undefined
        ? found > 0
          ? 'extra'
          : 'ok'
        : found === expected
          ? 'ok'
          : found === 0
            ? 'missing'
            : 'mismatch';
    const item: CheckItem = {
      name: `db${db}`,
      kind: 'keys',
      ...(expected === undefined ? {} : { expected }),
      actual: found,
      status,
    };
    if (expected === undefined && found === 0) continue;
    items.push(item);
    if (status === 'ok') continue;
    const want = expected ?? 0;
    const asSent = sent !== undefined && found <= sent && found >= sent - slack;
    if (found < want && want - found <= slack) {
      warnings.push(
        `db${db}: ${want - found} key(s) fewer than recorded: expired before the restore or listed twice`,
      );
    } else if (found > want && input.replace) {
      warnings.push(
        `db${db}: ${found - want} key(s) more than the backup: the target's own keys stay with --force`,
      );
    } else if (asSent && !recorded.exact) {
      warnings.push(
        `db${db}: the backup counted ${want} keys just before its snapshot; the snapshot held ${sent}, all restored`,
      );
    } else {
      failed.push(item);
    }
  }
  const recordedTotal = items.reduce((n, i) => n + (i.expected ?? 0), 0);
  const differing = items.filter((i) => i.status !== 'ok');
  const summary =
    differing.length === 0
      ? `${items.length} database(s), ${recordedTotal} keys: all match the backup`
      : `${differing.length} of ${items.length} database(s) differ from the backup (${differing
          .map((i) =>
            i.status === 'extra'
              ? `${i.name}: ${i.actual} keys, not in the backup`
              : i.status === 'missing'
                ? `${i.name}: no keys, backup had ${i.expected}`
                : `${i.name}: ${i.actual} keys, backup had ${i.expected}`,
          )
          .join('; ')})`;
  return { unit, target, ok: failed.length === 0, compared: true, summary, items, warnings };
}
