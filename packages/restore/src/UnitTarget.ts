/**
 * What a restore will do to one unit's target, as planned before anything is touched:
 *
 * - `create`: the target does not exist; it is created.
 * - `restore`: the target exists and is empty; it is restored into.
 * - `overwrite`: the target holds data and `--force` was given: its data is replaced (a safety
 *   backup of it is taken first, unless `--no-safety-backup`).
 * - `refuse`: the target holds data and `--force` was not given: the restore stops with
 *   `TARGET_NOT_EMPTY` before touching anything.
 * - `skip`: the engine does not restore this unit with these options (PostgreSQL's `globals`
 *   without `--globals`).
 */
export type UnitAction = 'create' | 'restore' | 'overwrite' | 'refuse' | 'skip';

/** One unit's target in a restore plan (see `RestoreAdapter.describeTarget`). */
export interface UnitTarget {
  /** Unit name in the set. */
  unit: string;
  /** Unit kind (`database`, `globals`, `collection`...). */
  kind: string;
  /** Where it goes: database name, collection name..., never with credentials. */
  target: string;
  action: UnitAction;
  /** For people: `absent`, `empty`, `12 relations, 3 functions`, `roles replayed`... */
  detail: string;
}

/** Where a restore goes, as described by `RestoreAdapter.describeTarget`. */
export interface TargetDescription {
  /** Server label (`host:port`), never with credentials. */
  server: string;
  /** One entry per unit to restore, in restore order. */
  units: UnitTarget[];
}
