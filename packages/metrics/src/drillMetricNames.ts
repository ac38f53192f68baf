/**
 * Names of the restore-drill metrics {@link createDrillMetrics} registers (labels `job`, `engine`,
 * plus `drill="restore"` added by the Pushgateway grouping key of `pushDrillMetrics`).
 */
export const DRILL_METRIC_NAMES = {
  /** Gauge `{job, engine}`: 1 when the last restore drill passed (restored and all checks matched), 0 when it failed. */
  status: 'backup_restore_drill_status',
  /**
   * Gauge `{job, engine}`: restore duration (s) measured by the last PASSED drill: the job's RTO. A
   * failed drill turns the status to 0 and keeps this value (from the last passed drill's report).
   */
  duration: 'backup_restore_drill_duration_seconds',
  /** Gauge `{job, engine}`: Unix time (s) when the last drill finished (for "no drill in 8 days" alerts). */
  lastRun: 'backup_restore_drill_last_run_timestamp_seconds',
} as const;
