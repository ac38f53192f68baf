import type { Registry } from 'prom-client';
import { pushMetrics } from './pushMetrics.js';

/** Grouping label that keeps drill metrics in a Pushgateway group of their own. */
export const DRILL_GROUPING_LABEL = { name: 'drill', value: 'restore' } as const;

/** Options of {@link pushDrillMetrics}. */
export interface PushDrillMetricsOptions {
  /** Pushgateway base URL, `http(s)://[user:password@]host:port[/route-prefix]` (as for `pushMetrics`). */
  url: string;
  /** Job name: the `job` of the grouping key and of the series pushed. */
  job: string;
  /** Registry holding the drill series (`DrillMetrics.registry`). */
  registry: Registry;
  /** Request timeout in milliseconds; default 10 000. */
  timeoutMs?: number | undefined;
}

/** Result of {@link pushDrillMetrics}. */
export interface PushDrillMetricsResult {
  /** The group URL pushed to, without credentials. */
  url: string;
  /** Number of samples pushed. */
  samples: number;
}

/**
 * Pushes one job's restore-drill series with `PUT` to the Pushgateway group
 * `/metrics/job/<job>/drill/restore`, a group of their own: the backup runs `PUT` the group
 * `/metrics/job/<job>` (see `pushMetrics`), which replaces every metric of THAT group only, so a
 * daily backup never erases the weekly drill's result, and a drill never touches the backup metrics.
 * The series carry `job="<job>"` and the grouping label `drill="restore"`. Only series labelled
 * `job="<job>"` are sent.
 *
 * Errors: those of `pushMetrics` (`CONFIG_INVALID` for a bad URL, an empty job, nothing to push or
 * a 4xx answer; `SOURCE_FAILED` when the Pushgateway is unreachable or answers 5xx); messages and
 * `details` never contain credentials.
 */
export async function pushDrillMetrics(options: PushDrillMetricsOptions): Promise<PushDrillMetricsResult> {
  const { url, samples } = await pushMetrics({
    url: options.url,
    job: options.job,
    registry: options.registry,
    method: 'PUT',
    timeoutMs: options.timeoutMs,
    grouping: { [DRILL_GROUPING_LABEL.name]: DRILL_GROUPING_LABEL.value },
  });
  return { url, samples };
}
