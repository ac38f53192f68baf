/** The outcome of one restore drill, as {@link DrillMetrics.recordDrill} records it. */
export interface DrillMetricsEvent {
  /** Job name (the `job` label). */
  job: string;
  /** Engine name (the `engine` label). */
  engine: string;
  /** True when the drill restored every unit and every post-restore check passed. */
  ok: boolean;
  /**
   * The RTO to publish, in seconds: this drill's restore duration when it passed, else the last
   * passed drill's; absent when the job never passed a drill.
   */
  restoreSeconds?: number | undefined;
  /** Unix time in milliseconds when the drill finished. */
  time: number;
}
