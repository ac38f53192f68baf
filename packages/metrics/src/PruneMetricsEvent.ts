/**
 * What {@link BackupMetrics.recordPrune} reads from a `backup:prune` event. Declared here
 * structurally, so it accepts core's `PruneEvent` (published on `backupChannels.prune`) whether it
 * carries set ids or counts.
 *
 * Core's `PruneEvent` (counts, published only for real prunes, being added to `events.ts` while this
 * was written) is assignable to this type (checked by compiling an assignment against core's
 * working tree). TODO: once it is committed, type `recordPrune` with it and drop this file.
 */
export interface PruneMetricsEvent {
  /** Job name (the `job` label). */
  job: string;
  /** The sets prune removed: their ids, or their number. */
  removedSets: readonly string[] | number;
  /** The sets kept after the prune: their ids, or their number. */
  keptSets: readonly string[] | number;
  /** Unix time in milliseconds. */
  time: number;
  /** True for `--dry-run`: nothing was deleted, so no metric changes. Absent means false. */
  dryRun?: boolean | undefined;
}
