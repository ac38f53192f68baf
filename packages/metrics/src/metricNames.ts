/**
 * Names of the metrics {@link createBackupMetrics} registers, for alert rules and dashboards.
 * Base units (seconds, bytes), `_timestamp_seconds` for Unix times, `_total` for counters.
 */
export const BACKUP_METRIC_NAMES = {
  /** Gauge `{job, engine}`: Unix time (s) when the last successful run finished. */
  lastSuccess: 'backup_last_success_timestamp_seconds',
  /** Gauge `{job, engine}`: Unix time (s) when the last run (success or failure) finished. */
  lastAttempt: 'backup_last_attempt_timestamp_seconds',
  /** Gauge `{job, engine}`: wall-clock duration (s) of the last run, success or failure. */
  duration: 'backup_duration_seconds',
  /** Gauge `{job, engine, unit}`: stored bytes of one unit in the last successful set. */
  size: 'backup_size_bytes',
  /** Gauge `{job, engine}`: stored bytes of the whole last successful set (all units). */
  setSize: 'backup_set_size_bytes',
  /** Gauge `{job, engine}`: 1 when the last run succeeded, 0 when it failed. */
  status: 'backup_status',
  /** Gauge `{job, engine}`: 1 when the last verification passed, 0 when it failed. */
  verifyStatus: 'backup_verify_status',
  /** Gauge `{job}`: complete sets kept after the last prune. */
  retainedSets: 'backup_retained_sets',
  /**
   * Counter `{job}`: sets removed by prune since this process started. A CronJob pod is a new
   * process per run, so a pushed value is that run's count (a reset each push): use
   * `backup_retained_sets` for alerting, this for `changes()`/"pruned last run" panels.
   */
  prunedSets: 'backup_pruned_sets_total',
} as const;
