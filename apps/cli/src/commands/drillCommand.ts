import { BackupError, type BackupErrorCode } from '@backup/core';
import { DEFAULT_DRILL_PREFIX, formatDrillReport, runDrill } from '@backup/restore';
import type { CliContext } from '../CliContext.js';
import { wireRestoreJob } from './wireRestoreJob.js';

/** Flags of `backup drill`. */
export interface DrillFlags {
  job: string;
  /** Set to drill; default latest. */
  set?: string;
  /** Drill server URL; default `BACKUP_DRILL_TARGET`. */
  target?: string;
  /** Scratch name prefix; default `BACKUP_DRILL_PREFIX`, else `drill_`. */
  prefix?: string;
  identity?: string;
  json?: boolean;
}

/**
 * `backup drill --job NAME [--target URL] [--prefix drill_] [--set ID] [--json]`: a restore drill
 * (`runDrill` of `@backup/restore`): restores the job's latest set into scratch databases on the
 * drill server, checks the counts, stores `<job>/<set>/drill-<time>.json` next to the set, pushes
 * `backup_restore_drill_status` / `backup_restore_drill_duration_seconds` to the Pushgateway
 * (`BACKUP_PUSHGATEWAY_URL`, else the config's `metrics.pushgateway`), removes the scratch databases.
 * A failed drill prints its report and throws its first error's code (e.g. `VERIFY_FAILED`, exit 4).
 */
export async function drillCommand(ctx: CliContext, flags: DrillFlags): Promise<void> {
  const target = flags.target ?? nonEmpty(ctx.env['BACKUP_DRILL_TARGET']);
  if (target === undefined) {
    throw new BackupError(
      'CONFIG_INVALID',
      'A drill needs a drill server: pass --target URL or set BACKUP_DRILL_TARGET (the whole set is restored there)',
    );
  }
  const { job, repository } = await wireRestoreJob(ctx, flags.job, flags.identity);
  const outcome = await runDrill({
    job,
    repository,
    scratch: {
      url: target,
      prefix: flags.prefix ?? nonEmpty(ctx.env['BACKUP_DRILL_PREFIX']) ?? DEFAULT_DRILL_PREFIX,
    },
    set: flags.set,
    pushgateway: nonEmpty(ctx.env['BACKUP_PUSHGATEWAY_URL']) ?? ctx.config.metrics?.pushgateway,
    logger: ctx.logger,
    signal: ctx.signal,
  });
  if (flags.json) ctx.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else {
    ctx.stdout.write(`${formatDrillReport(outcome.report)}\n`);
    if (outcome.key) ctx.stdout.write(`report    ${outcome.key}\n`);
  }
  const error = outcome.report.error;
  if (error) {
    // The report's codes are BackupError codes (the drill records them from BackupErrors).
    throw new BackupError(
      error.code as BackupErrorCode,
      `Restore drill of ${flags.job} failed: ${error.message}`,
    );
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
