import type { Engine, EngineContext, Manifest, RestoreResult, UnitRecord } from '@backup/core';
import type { RestoreFlags } from './RestoreFlags.js';
import type { ScratchTarget } from './ScratchTarget.js';
import type { UnitCheck } from './UnitCheck.js';
import type { TargetDescription, UnitTarget } from './UnitTarget.js';

/** Input of {@link RestoreAdapter.check}. */
export interface RestoreCheckInput<TOptions> {
  /** The unit as recorded in the manifest; its `metadata` holds the counts recorded at backup time. */
  unit: UnitRecord;
  /** What the engine's `restore` returned for it (`target`: where it went). */
  result: RestoreResult;
  /** The restore options used (where the target server is). */
  options: TOptions;
}

/**
 * The engine-specific half of the restore flow. `@backup/restore` drives every engine through its
 * `Engine` (from `@backup/core`) for the restore itself and through this adapter for what the engine
 * contract does not cover: turning flags into restore options, looking at the target before it is
 * touched, the safety backup, scratch targets for drills, and post-restore checks.
 *
 * One adapter per engine, bound to one job's configuration (its server, credentials, tool paths).
 * `createPostgresRestoreAdapter` is the PostgreSQL one; `createRestoreAdapter` picks the adapter for
 * a configured job. A new engine adds `create<Engine>RestoreAdapter` in `src/<engine>/` and a case
 * in `createRestoreAdapter`. Adapters must never change anything in `describeTarget` (it backs
 * `--dry-run`) and throw `BackupError`s with stable codes (`CONFIG_INVALID` for unusable flags,
 * `RESTORE_FAILED` when the target cannot be reached or inspected).
 *
 * @typeParam TOptions the engine's restore options (`Engine<TOptions>`).
 */
export interface RestoreAdapter<TOptions> {
  /** The engine name this adapter serves, as recorded in manifests (`postgres`). */
  readonly engine: string;
  /**
   * True when the engine's restore of a unit is all-or-nothing even when its artifact stream fails
   * midway (PostgreSQL: one `pg_restore --single-transaction`, the last chunk held back until the
   * checksum passed). For engines where this is false, artifacts are always downloaded and verified
   * before the target is touched (`verifyFirst`).
   */
  readonly transactional: boolean;
  /**
   * The units restored when none are named ("all"): PostgreSQL's databases, plus `globals` when
   * `flags.globals` is set.
   */
  defaultUnits(manifest: Manifest, flags: RestoreFlags): string[];
  /**
   * Turns flags into the engine's restore options for these units. Throws `CONFIG_INVALID` naming
   * the flag when the combination cannot work (e.g. `--into` with several databases).
   */
  restoreOptions(flags: RestoreFlags, units: readonly UnitRecord[]): TOptions;
  /**
   * Looks at the target without changing anything: for each unit, where it would go and whether it
   * would be created, restored into, overwritten, refused or skipped. Backs `--dry-run`.
   */
  describeTarget(
    units: readonly UnitRecord[],
    options: TOptions,
    ctx: EngineContext,
  ): Promise<TargetDescription>;
  /**
   * An engine bound to the target that backs up exactly the targets about to be overwritten (the
   * `overwrite` entries of `describeTarget`), for the safety backup taken before a forced restore.
   * Its set is written under job `<job>-pre-restore`; restoring it puts the target back.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any engine: the safety set is only backed up, never restored here
  safetyBackupEngine(overwritten: readonly UnitTarget[], options: TOptions): Engine<any>;
  /**
   * Restore options that put `unit` into a scratch target on the drill server (`scratch.url`), named
   * with `scratch.prefix` and `scratch.job`, never overwriting anything (no force). `runDrill` calls it
   * once per unit up front (to validate the prefix: throw `CONFIG_INVALID`), then for each unit right
   * after `removeScratch`, which may have read the drill server (Neo4j: its edition decides the
   * scratch database).
   */
  scratchOptions(unit: UnitRecord, scratch: ScratchTarget): TOptions;
  /**
   * Removes `unit`'s scratch target if it exists (before and after a drill). Idempotent. Engines
   * whose scratch target is a whole dedicated server (Redis; Neo4j Community) empty it only when a
   * drill of this adapter filled it, and throw `TARGET_NOT_EMPTY` before a drill when it holds data.
   */
  removeScratch(unit: UnitRecord, scratch: ScratchTarget, ctx: EngineContext): Promise<void>;
  /**
   * Post-restore check of one restored unit: counts what was restored (rows per table, points per
   * collection, keys, nodes and relationships) and compares with the counts the manifest recorded
   * at backup time. Reports; throws only when the target cannot be inspected (`RESTORE_FAILED`).
   */
  check(input: RestoreCheckInput<TOptions>, ctx: EngineContext): Promise<UnitCheck>;
}
