import type { CheckItem, UnitCheck } from '../UnitCheck.js';
import type { TableCount } from './TableCount.js';

/** What a database unit's manifest metadata says about its tables at backup time. */
export interface RecordedTables {
  /** `tableStats` of the unit metadata; `undefined` when the set has none (made before counts were recorded). */
  tables: TableCount[] | undefined;
  /**
   * `tableStatsExact`: the counts were taken in the dump's own snapshot, so any difference is a real
   * loss. When false, row differences are warnings (the database changed between count and dump).
   */
  exact: boolean;
}

/** Reads `tableStats` / `tableStatsExact` from a unit's manifest metadata, tolerating their absence. */
export function recordedTables(metadata: Record<string, unknown>): RecordedTables {
  const raw = metadata['tableStats'];
  if (!Array.isArray(raw)) return { tables: undefined, exact: false };
  const tables = raw
    .filter(
      (t): t is { table: string; rows: number; bytes?: number } =>
        typeof t === 'object' &&
        t !== null &&
        typeof (t as { table?: unknown }).table === 'string' &&
        typeof (t as { rows?: unknown }).rows === 'number',
    )
    .map((t) => ({ table: t.table, rows: t.rows, bytes: typeof t.bytes === 'number' ? t.bytes : 0 }));
  return { tables, exact: metadata['tableStatsExact'] === true };
}

/**
 * Compares the tables counted after a restore with those recorded at backup time. A table whose
 * row count differs (`mismatch`) or that is missing fails the check; a table that was not in the
 * backup (`extra`, e.g. left in place by `--force`, which only replaces the dump's objects) is a
 * warning. Sizes are reported, never compared (a restored table has no bloat).
 */
export function compareTableCounts(
  unit: string,
  target: string,
  recorded: RecordedTables,
  restored: readonly TableCount[],
): UnitCheck {
  const after = new Map(restored.map((t) => [t.table, t]));
  const rowsAfter = restored.reduce((n, t) => n + t.rows, 0);
  if (recorded.tables === undefined) {
    return {
      unit,
      target,
      ok: true,
      compared: false,
      summary: `${restored.length} tables, ${rowsAfter} rows restored (the set recorded no counts to compare with)`,
      items: restored.map((t) => ({
        name: t.table,
        kind: 'table',
        actual: t.rows,
        bytes: t.bytes,
        status: 'info',
      })),
      warnings: [],
    };
  }
  const items: CheckItem[] = [];
  const before = new Map(recorded.tables.map((t) => [t.table, t]));
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(name);
    const a = after.get(name);
    const status: CheckItem['status'] =
      b === undefined ? 'extra' : a === undefined ? 'missing' : a.rows === b.rows ? 'ok' : 'mismatch';
    items.push({
      name,
      kind: 'table',
      ...(b === undefined ? {} : { expected: b.rows, expectedBytes: b.bytes }),
      ...(a === undefined ? {} : { actual: a.rows, bytes: a.bytes }),
      status,
    });
  }
  const missing = items.filter((i) => i.status === 'missing');
  const mismatched = items.filter((i) => i.status === 'mismatch');
  const extra = items.filter((i) => i.status === 'extra');
  const warnings: string[] = [];
  if (extra.length > 0) {
    warnings.push(
      `${extra.length} table(s) not in the backup are present: ${extra.map((i) => i.name).join(', ')}`,
    );
  }
  if (mismatched.length > 0 && !recorded.exact) {
    warnings.push(
      'row counts were recorded outside the dump snapshot; differences may be writes made during the backup',
    );
  }
  const failed = [...missing, ...(recorded.exact ? mismatched : [])];
  const rowsBefore = recorded.tables.reduce((n, t) => n + t.rows, 0);
  const summary =
    missing.length === 0 && mismatched.length === 0
      ? `${recorded.tables.length} tables, ${rowsBefore} rows: all match the backup`
      : `${mismatched.length + missing.length} of ${recorded.tables.length} tables differ from the backup ` +
        `(${[
          ...mismatched.map((i) => `${i.name}: ${i.actual} rows, backup had ${i.expected}`),
          ...missing.map((i) => `${i.name}: missing`),
        ].join('; ')})`;
  return { unit, target, ok: failed.length === 0, compared: true, summary, items, warnings };
}
