import { formatDuration } from '../formatDuration.js';
import type { DrillReport } from './DrillReport.js';

/** A drill report for people: one line per unit, then the verdict with the measured RTO. */
export function formatDrillReport(report: DrillReport): string {
  const lines = report.units.map((u) =>
    u.error
      ? `FAILED  ${u.unit} -> ${u.target}  [${u.error.code}] ${u.error.message.split('\n')[0]}`
      : `${u.check?.ok ? 'ok' : 'FAILED'}      ${u.unit} -> ${u.target}  restore ${formatDuration(u.restoreSeconds ?? 0)}  ${u.check?.summary ?? ''}`,
  );
  lines.push(
    `${report.ok ? 'drill ok' : 'DRILL FAILED'}  ${report.job}/${report.setId}  RTO ${formatDuration(report.rtoSeconds)} ` +
      `(checks ${formatDuration(report.durations.checkSeconds)}, total ${formatDuration(report.durations.totalSeconds)})  ` +
      `scratch ${report.scratch.removed ? 'removed' : 'NOT REMOVED'} on ${report.scratch.server}` +
      (report.error && !report.units.some((u) => u.error)
        ? `  [${report.error.code}] ${report.error.message}`
        : ''),
  );
  return lines.join('\n');
}
