// @backup/metrics public API: explicit named exports, types kept apart.

export type { BackupMetrics, BackupMetricsOptions, UnitSize } from './createBackupMetrics.js';
export { createBackupMetrics } from './createBackupMetrics.js';
export { DRILL_METRIC_NAMES } from './drillMetricNames.js';
export type { DrillMetrics, DrillMetricsOptions } from './drillMetrics.js';
export { createDrillMetrics } from './drillMetrics.js';
export type { DrillMetricsEvent } from './drillMetricsEvent.js';
export type { PushDrillMetricsOptions, PushDrillMetricsResult } from './drillPush.js';
export { DRILL_GROUPING_LABEL, pushDrillMetrics } from './drillPush.js';
export { BACKUP_METRIC_NAMES } from './metricNames.js';
export type { PruneMetricsEvent } from './PruneMetricsEvent.js';
export type { PushMetricsOptions, PushMetricsResult } from './pushMetrics.js';
export { pushMetrics } from './pushMetrics.js';
export type { RenderedMetrics, RenderMetricsOptions } from './renderMetrics.js';
export { PROMETHEUS_TEXT_CONTENT_TYPE, renderMetrics } from './renderMetrics.js';
export type { WriteTextfileOptions, WriteTextfileResult } from './writeTextfile.js';
export { writeTextfile } from './writeTextfile.js';
