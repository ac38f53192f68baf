import { type BackupConfig, createDecryptor, createEngine, type JobConfig } from '@backup/config';
import {
  BackupError,
  Catalog,
  EXIT_CODES,
  isBackupError,
  type Logger,
  resolveCompression,
  type StorageBackend,
} from '@backup/core';
import { createRestoreAdapter, DEFAULT_DRILL_PREFIX, runDrill } from '@backup/restore';

/** Options of {@link runDrills}: what `runCronjob` has loaded, plus where to drill. */
export interface RunDrillsOptions {
  config: BackupConfig;
  /** The selected jobs, in config order. */
  jobs: readonly JobConfig[];
  storage: StorageBackend;
  /**
   * `BACKUP_DRILL_TARGET` (required: the drill server URL), `BACKUP_DRILL_PREFIX` (scratch name
   * prefix, default `drill_`), `BACKUP_AGE_IDENTITY` (for encrypted sets), the engines' variables.
   */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock: () => Date;
  /** SIGTERM/SIGINT: the running drill stops (scratch databases removed), later jobs are not drilled. */
  signal: AbortSignal;
  /** One summary line per job. */
  stdout: { write(text: string): unknown };
  /** Fatal error messages (`error [CODE]: ...`). */
  stderr: { write(text: string): unknown };
  /** Pushgateway base URL for the drill metrics (`BACKUP_PUSHGATEWAY_URL` / `metrics.pushgateway`). */
  pushgateway?: string | undefined;
  metricsTimeoutMs?: number | undefined;
}

/** One job's drill, as printed in its summary line. */
export interface DrillSummary {
  job: string;
  ok: boolean;
  /** The set drilled. */
  setId?: string | undefined;
  /** The measured RTO in seconds. */
  rtoSeconds?: number | undefined;
  /** Where the drill report was stored. */
  key?: string | undefined;
  /** Whether the drill metrics reached the Pushgateway (`undefined`: none configured). */
  pushed?: boolean | undefined;
  error?: { code: string; message: string } | undefined;
  durationMs: number;
}

/** Result of {@link runDrills}. */
export interface DrillsResult {
  /** 0 when every drill passed; else the first failure's exit code; 143/130 on a signal. */
  exitCode: number;
  drills: DrillSummary[];
}

/**
 * `backup-cronjob --drill`: a restore drill (`runDrill` of `@backup/restore`) of each selected job,
 * one after another, on the drill server `BACKUP_DRILL_TARGET`, instead of backups. Each drill
 * restores the job's latest set into scratch databases, checks the counts, stores its report next
 * to the set, pushes `backup_restore_drill_status` / `backup_restore_drill_duration_seconds`, and
 * removes the scratch databases. Prints one line per job:
 * `ok      postgresql  drill set=20260121-020000 rto=12.3s report=postgresql/... metrics=pushed duration=14.0s`.
 * Never throws: a missing `BACKUP_DRILL_TARGET` is exit 2 before any drill.
 */
export async function runDrills(options: RunDrillsOptions): Promise<DrillsResult> {
  const { env, logger, signal } = options;
  const target = nonEmpty(env['BACKUP_DRILL_TARGET']);
  if (target === undefined) {
    const error = new BackupError(
      'CONFIG_INVALID',
      '--drill needs the drill server: set BACKUP_DRILL_TARGET (a URL of a server the drills may restore into)',
    );
    logger.error({ code: error.code }, error.message);
    options.stderr.write(`error [${error.code}]: ${error.message}\n`);
    return { exitCode: EXIT_CODES.CONFIG_INVALID, drills: [] };
  }
  const prefix = nonEmpty(env['BACKUP_DRILL_PREFIX']) ?? DEFAULT_DRILL_PREFIX;
  const catalog = new Catalog(options.storage);
  const drills: DrillSummary[] = [];
  for (const job of options.jobs) {
    const began = Date.now();
    const summary: DrillSummary = { job: job.name, ok: false, durationMs: 0 };
    try {
      if (signal.aborted) throw new BackupError('ABORTED', `Drill of ${job.name} not started: stopping`);
      const outcome = await runDrill({
        job: {
          name: job.name,
          engine: createEngine(job, env),
          adapter: createRestoreAdapter({ job, env, createEngine: (j) => createEngine(j, env) }),
        },
        repository: {
          storage: options.storage,
          catalog,
          compression: resolveCompression(job.compression ?? options.config.compression),
          decryptor: await createDecryptor({ env, encryption: options.config.encryption }),
        },
        scratch: { url: target, prefix },
        pushgateway: options.pushgateway,
        metricsTimeoutMs: options.metricsTimeoutMs,
        logger,
        signal,
        clock: options.clock,
      });
      Object.assign(summary, {
        ok: outcome.report.ok,
        setId: outcome.report.setId,
        rtoSeconds: outcome.report.rtoSeconds,
        key: outcome.key,
        pushed: outcome.pushed,
        error: outcome.report.error,
      });
    } catch (caught) {
      const error = isBackupError(caught)
        ? caught
        : new BackupError(
            'INTERNAL',
            caught instanceof Error ? (caught.stack ?? caught.message) : String(caught),
          );
      logger.error({ job: job.name, code: error.code }, error.message);
      summary.error = { code: error.code, message: error.message };
    }
    summary.durationMs = Date.now() - began;
    drills.push(summary);
    options.stdout.write(`${formatDrillSummary(summary)}\n`);
  }
  const failed = drills.find((d) => !d.ok);
  const reason = (signal.reason as { exitCode?: unknown } | undefined)?.exitCode;
  const exitCode = signal.aborted
    ? typeof reason === 'number'
      ? reason
      : EXIT_CODES.ABORTED
    : failed
      ? (EXIT_CODES[failed.error?.code as keyof typeof EXIT_CODES] ?? EXIT_CODES.INTERNAL)
      : EXIT_CODES.OK;
  return { exitCode, drills };
}

/** One line per drill, `key=value` after the status and the job, like the backup summaries. */
export function formatDrillSummary(summary: DrillSummary): string {
  const parts = ['drill'];
  if (summary.setId) parts.push(`set=${summary.setId}`);
  if (summary.rtoSeconds !== undefined) parts.push(`rto=${summary.rtoSeconds.toFixed(1)}s`);
  if (summary.error) parts.push(`code=${summary.error.code}`);
  if (summary.key) parts.push(`report=${summary.key}`);
  if (summary.pushed !== undefined) parts.push(`metrics=${summary.pushed ? 'pushed' : 'push-failed'}`);
  parts.push(`duration=${(summary.durationMs / 1000).toFixed(1)}s`);
  if (summary.error)
    parts.push(`message=${JSON.stringify(summary.error.message.replace(/\s*\n\s*/g, ' | '))}`);
  return `${(summary.ok ? 'ok' : 'FAILED').padEnd(7)} ${summary.job}  ${parts.join(' ')}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
