import { BackupError } from '@backup/core';
import { Gauge, Registry } from 'prom-client';
import { DRILL_METRIC_NAMES } from './drillMetricNames.js';
import type { DrillMetricsEvent } from './drillMetricsEvent.js';

/** Options of {@link createDrillMetrics}. */
export interface DrillMetricsOptions {
  /** Registry to register in; default a new one (drills push their own group, see `pushDrillMetrics`). */
  registry?: Registry | undefined;
}

/** Restore-drill gauges (see {@link DRILL_METRIC_NAMES}). */
export interface DrillMetrics {
  /** The registry holding the gauges: push it with `pushDrillMetrics`. */
  readonly registry: Registry;
  /**
   * Records a drill: `backup_restore_drill_status` = 1 or 0, `backup_restore_drill_last_run_timestamp_seconds`
   * = `time`, and `backup_restore_drill_duration_seconds` = `restoreSeconds` when given (absent: the
   * series is removed). Throws `INTERNAL` for a malformed event.
   */
  recordDrill(event: DrillMetricsEvent): void;
}

/**
 * Creates the restore-drill gauges in a registry. Throws `CONFIG_INVALID` when the registry already
 * holds metrics of the same names.
 */
export function createDrillMetrics(options: DrillMetricsOptions = {}): DrillMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const labelNames = ['job', 'engine'] as const;
  let gauges: {
    status: Gauge<'job' | 'engine'>;
    duration: Gauge<'job' | 'engine'>;
    lastRun: Gauge<'job' | 'engine'>;
  };
  try {
    gauges = {
      status: new Gauge({
        name: DRILL_METRIC_NAMES.status,
        help: '1 when the last restore drill of the job passed (restored, checks matched), 0 when it failed.',
        labelNames,
        registers,
      }),
      duration: new Gauge({
        name: DRILL_METRIC_NAMES.duration,
        help: 'Restore duration in seconds measured by the last passed restore drill of the job (its RTO).',
        labelNames,
        registers,
      }),
      lastRun: new Gauge({
        name: DRILL_METRIC_NAMES.lastRun,
        help: 'Unix time in seconds when the last restore drill of the job finished.',
        labelNames,
        registers,
      }),
    };
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Cannot register drill metrics: ${(error as Error).message} (one DrillMetrics per registry)`,
      { cause: error },
    );
  }
  return {
    registry,
    recordDrill(event) {
      const valid =
        typeof event?.job === 'string' &&
        event.job !== '' &&
        typeof event.engine === 'string' &&
        event.engine !== '' &&
        typeof event.ok === 'boolean' &&
        Number.isFinite(event.time) &&
        (event.restoreSeconds === undefined ||
          (Number.isFinite(event.restoreSeconds) && event.restoreSeconds >= 0));
      if (!valid) throw new BackupError('INTERNAL', 'Malformed drill metrics event');
      const labels = { job: event.job, engine: event.engine };
      gauges.status.set(labels, event.ok ? 1 : 0);
      gauges.lastRun.set(labels, event.time / 1000);
      if (event.restoreSeconds === undefined) gauges.duration.remove(labels);
      else gauges.duration.set(labels, event.restoreSeconds);
    },
  };
}
