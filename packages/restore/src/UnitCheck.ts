/**
 * One thing a post-restore check compared: a table's rows, a collection's points, a key count, a
 * node or relationship count.
 *
 * `status`: `ok` (restored = recorded at backup time), `mismatch` (both known, different), `missing`
 * (recorded at backup time, absent after the restore), `extra` (present after the restore, not in the
 * backup: e.g. a table the dump did not contain, left in place by an overwrite), `info` (nothing
 * recorded at backup time to compare with; the restored value is reported).
 */
export interface CheckItem {
  /** What was counted: `docs.documents`, `runbooks`, `keys`, `nodes`... */
  name: string;
  /** Engine-defined kind of the item: `table`, `collection`, `keys`, `nodes`, `relationships`. */
  kind: string;
  /** Count recorded in the manifest at backup time, when there is one. */
  expected?: number | undefined;
  /** Count found after the restore, when the item exists. */
  actual?: number | undefined;
  /** Size in bytes after the restore (informational, never compared: storage layouts differ). */
  bytes?: number | undefined;
  /** Size in bytes at backup time (informational). */
  expectedBytes?: number | undefined;
  status: 'ok' | 'mismatch' | 'missing' | 'extra' | 'info';
}

/**
 * Result of an adapter's post-restore check of one unit (see `RestoreAdapter.check`): what was
 * restored, compared with what the manifest recorded at backup time.
 */
export interface UnitCheck {
  unit: string;
  /** Where it was restored (database name...), never with credentials. */
  target: string;
  /**
   * False when a recorded count differs or a recorded item is missing (a restore that lost data).
   * Items without a recorded count never fail a check.
   */
  ok: boolean;
  /** True when the manifest had counts to compare with (sets made before counts were recorded have none). */
  compared: boolean;
  /** One line for people: `3 tables, 3500 rows: all match the backup`. */
  summary: string;
  /** Every compared item, sorted by name. */
  items: CheckItem[];
  /** Things worth knowing that do not fail the check (extra tables, counts taken outside the dump's snapshot). */
  warnings: string[];
}
