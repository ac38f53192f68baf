import { formatBytes } from './formatBytes.js';
import { formatDuration } from './formatDuration.js';
import type { RestorePlan } from './planRestore.js';

/**
 * The plan for people (`--dry-run`, and before the confirmation): set, target and what happens to
 * each unit there, artifacts with sizes and stored sha256 (compare with `sha256sum` of a downloaded
 * file), safety backup, verify-first pass, estimate, warnings.
 */
export function formatRestorePlan(plan: RestorePlan, options: { dryRun?: boolean | undefined } = {}): string {
  const lines: string[] = [];
  lines.push(options.dryRun ? 'Restore plan (dry run: nothing is changed)' : 'Restore plan');
  lines.push(
    `  set       ${plan.job}/${plan.setId}  ${plan.engine}${plan.engineVersion ? ` ${plan.engineVersion}` : ''}  ` +
      `finished ${plan.set.finishedAt}`,
  );
  lines.push(`  target    ${plan.target.server}`);
  const width = Math.max(...plan.target.units.map((u) => `${u.unit} -> ${u.target}`.length));
  for (const u of plan.target.units) {
    lines.push(
      `    ${`${u.unit} -> ${u.target}`.padEnd(width)}  ${u.action.toUpperCase().padEnd(9)}  ${u.detail}`,
    );
  }
  lines.push(
    `  artifacts ${plan.artifacts.length}, ${formatBytes(plan.storedBytes)} stored, ${formatBytes(plan.plaintextBytes)} restored`,
  );
  for (const a of plan.artifacts) {
    lines.push(
      `    ${a.name}  ${formatBytes(a.storedBytes)} stored, ${formatBytes(a.plaintextBytes)} plaintext  ` +
        `sha256 ${a.storedSha256}${a.encrypted ? '  (age)' : ''}`,
    );
  }
  const safety = plan.safetyBackup;
  lines.push(
    safety.action === 'take'
      ? `  safety    backup of ${safety.targets.join(', ')} into job ${safety.job} first (${safety.reason})`
      : safety.action === 'skip'
        ? `  safety    NONE: ${safety.reason}`
        : `  safety    not needed: ${safety.reason}`,
  );
  lines.push(
    plan.verifyFirst
      ? '  verify    every artifact is downloaded and checked before the target is touched'
      : '  verify    while streaming (a checksum mismatch rolls the restore back)',
  );
  const e = plan.estimate;
  lines.push(
    `  estimate  ~${formatDuration(e.seconds)} (${formatBytes(plan.plaintextBytes)} at ${formatBytes(e.bytesPerSecond)}/s, ` +
      (e.basis === 'drill' && e.drill
        ? `measured by the drill of set ${e.drill.setId}`
        : 'default rate; run backup drill to measure') +
      (e.verifySeconds > 0 ? `, verify ~${formatDuration(e.verifySeconds)}` : '') +
      ')',
  );
  for (const w of plan.warnings) lines.push(`  WARNING   ${w}`);
  return lines.join('\n');
}
