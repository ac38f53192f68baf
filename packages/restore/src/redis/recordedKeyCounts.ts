import type { UnitRecord } from '@backup/core';

/** What a Redis unit's manifest metadata says about its keys at backup time. */
export interface RecordedKeyCounts {
  /** Keys per database number; `undefined` when the set recorded none. */
  keys: Map<number, number> | undefined;
  /**
   * True when the counts are the artifact's own: keys-mode units record `records`, the lines the
   * export wrote. RDB units record `INFO keyspace`, read just before the snapshot (a write in
   * between shows up as a difference the restore itself can explain).
   */
  exact: boolean;
}

/**
 * Reads the key counts a Redis unit recorded at backup time: `keyspace` (`{ db0: { keys } }`,
 * `INFO keyspace` at discovery) of `instance` and `master` units, `records` (else `keys`) of a
 * keys-mode `database` unit (its `db`). Tolerates their absence.
 */
export function recordedKeyCounts(unit: UnitRecord): RecordedKeyCounts {
  const meta = unit.metadata;
  if (unit.kind === 'database') {
    const db = typeof meta['db'] === 'number' ? meta['db'] : undefined;
    const records = typeof meta['records'] === 'number' ? meta['records'] : undefined;
    const keys = typeof meta['keys'] === 'number' ? meta['keys'] : undefined;
    if (db === undefined || (records ?? keys) === undefined) return { keys: undefined, exact: false };
    return { keys: new Map([[db, (records ?? keys)!]]), exact: records !== undefined };
  }
  const keyspace = meta['keyspace'];
  if (typeof keyspace !== 'object' || keyspace === null) return { keys: undefined, exact: false };
  const keys = new Map<number, number>();
  for (const [name, entry] of Object.entries(keyspace as Record<string, unknown>)) {
    const db = /^db(\d+)$/.exec(name)?.[1];
    const n = (entry as { keys?: unknown } | null)?.keys;
    if (db !== undefined && typeof n === 'number' && n > 0) keys.set(Number(db), n);
  }
  return { keys, exact: false };
}
