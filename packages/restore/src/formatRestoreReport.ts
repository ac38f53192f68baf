import type { RestoreReport } from './executeRestore.js';
import { formatDuration } from './formatDuration.js';

/**
 * The report for people: one `restored` line per unit with its check, the safety backup and how to
 * undo, the durations.
 */
export function formatRestoreReport(report: RestoreReport): string {
  const lines: string[] = [];
  for (const u of report.units) {
    lines.push(
      `restored  ${u.unit} -> ${u.target}  (${u.action}, ${formatDuration(u.seconds)})  ` +
        `check ${u.check.ok ? 'ok' : 'FAILED'}: ${u.check.summary}`,
    );
    for (const w of u.check.warnings) lines.push(`          warning: ${w}`);
  }
  if (report.safetyBackup) {
    lines.push(
      `safety backup  ${report.safetyBackup.job}/${report.safetyBackup.setId} (${report.safetyBackup.targets.join(', ')})`,
    );
    if (report.undo) lines.push(`undo with      ${report.undo}`);
  }
  const d = report.durations;
  lines.push(
    `${report.ok ? 'ok' : 'CHECKS FAILED'}  ${report.job}/${report.setId} -> ${report.server} in ${formatDuration(d.totalSeconds)} ` +
      `(verify ${formatDuration(d.verifySeconds)}, safety backup ${formatDuration(d.safetyBackupSeconds)}, ` +
      `restore ${formatDuration(d.restoreSeconds)}, checks ${formatDuration(d.checkSeconds)})`,
  );
  return lines.join('\n');
}
