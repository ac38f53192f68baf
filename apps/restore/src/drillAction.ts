import { createStorage, loadConfig } from '@backup/config';
import { BackupError, Catalog, EXIT_CODES } from '@backup/core';
import { DEFAULT_DRILL_PREFIX, formatDrillReport, runDrill } from '@backup/restore';
import type { RestoreAppIo } from './RestoreAppIo.js';
import { wireRestoreJob } from './wireRestoreJob.js';

/** Flags of `backup-restore drill`. */
export interface DrillAppFlags {
  config?: string | undefined;
  job: string;
  /** Set to drill; default latest. */
  set?: string | undefined;
  /** Drill server URL; default `BACKUP_DRILL_TARGET`. */
  target?: string | undefined;
  /** Scratch name prefix; default `BACKUP_DRILL_PREFIX`, else `drill_`. */
  prefix?: string | undefined;
  identity?: string | undefined;
  json?: boolean | undefined;
}

/**
 * `backup-restore drill --job NAME [--target URL] [--prefix drill_]`: runs a restore drill of the
 * job's latest set on the drill server (`runDrill`), prints the report (or `--json`), stores it next
 * to the set and pushes the drill metrics to `BACKUP_PUSHGATEWAY_URL` / the config's
 * `metrics.pushgateway`. Resolves with 0 when the drill passed, else the exit code of its first
 * failure (4 for a check mismatch or corrupt artifact, 10 for a failed restore...).
 */
export async function drillAction(flags: DrillAppFlags, io: RestoreAppIo): Promise<number> {
  const target = flags.target ?? nonEmpty(io.env['BACKUP_DRILL_TARGET']);
  if (target === undefined) {
    throw new BackupError(
      'CONFIG_INVALID',
      'A drill needs a drill server: pass --target URL or set BACKUP_DRILL_TARGET (never the production ' +
        'server unless you mean it: the drill restores the whole set there)',
    );
  }
  const { config } = await loadConfig({ path: flags.config, env: io.env });
  const storage = createStorage(config.storage);
  const catalog = new Catalog(storage);
  const wired = await wireRestoreJob({
    config,
    storage,
    catalog,
    name: flags.job,
    env: io.env,
    identity: flags.identity,
  });
  const outcome = await runDrill({
    job: wired.job,
    repository: wired.repository,
    scratch: {
      url: target,
      prefix: flags.prefix ?? nonEmpty(io.env['BACKUP_DRILL_PREFIX']) ?? DEFAULT_DRILL_PREFIX,
    },
    set: flags.set,
    pushgateway: nonEmpty(io.env['BACKUP_PUSHGATEWAY_URL']) ?? config.metrics?.pushgateway,
    logger: io.logger,
    signal: io.signal,
  });
  if (flags.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else {
    io.stdout.write(`${formatDrillReport(outcome.report)}\n`);
    if (outcome.key) io.stdout.write(`report    ${outcome.key}\n`);
  }
  const code = outcome.report.error?.code;
  return outcome.report.ok
    ? EXIT_CODES.OK
    : (EXIT_CODES[code as keyof typeof EXIT_CODES] ?? EXIT_CODES.INTERNAL);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
