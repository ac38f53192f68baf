import {
  BackupError,
  type EngineContext,
  isBackupError,
  type Logger,
  type Manifest,
  restoreBackup,
  silentLogger,
  TOOL_NAME,
  TOOL_VERSION,
  toBackupError,
} from '@backup/core';
import { createDrillMetrics, pushDrillMetrics } from '@backup/metrics';
import { unitRecords } from '../planRestore.js';
import type { Repository } from '../Repository.js';
import type { RestoreJob } from '../RestoreJob.js';
import type { ScratchTarget } from '../ScratchTarget.js';
import { DRILL_REPORT_FORMAT_VERSION, type DrilledUnit, type DrillReport } from './DrillReport.js';
import { drillReportKey } from './drillReportKey.js';
import { latestPassedDrill } from './findDrillReports.js';

/** Default name prefix of scratch targets. */
export const DEFAULT_DRILL_PREFIX = 'drill_';

/** Options of {@link runDrill}. */
export interface RunDrillOptions<TOptions> {
  job: RestoreJob<TOptions>;
  repository: Repository;
  /**
   * The drill server (`--target` / `BACKUP_DRILL_TARGET`) and the scratch name prefix (`--prefix`,
   * default {@link DEFAULT_DRILL_PREFIX}).
   */
  scratch: { url: string; prefix?: string | undefined };
  /** The set to drill; default `latest`. */
  set?: string | undefined;
  /** Pushgateway base URL: when given, the drill metrics are pushed (`pushDrillMetrics`). */
  pushgateway?: string | undefined;
  /** Timeout of the push in ms; default 10 000. */
  metricsTimeoutMs?: number | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** Clock for the report's times and key; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
}

/** Result of {@link runDrill}. */
export interface DrillOutcome {
  report: DrillReport;
  /** Where the report was stored; `undefined` when it could not be written (logged). */
  key?: string | undefined;
  /** Whether the metrics reached the Pushgateway; `undefined` without one. */
  pushed?: boolean | undefined;
}

/**
 * A restore drill (KubeStash's "backup verifier"): restores the job's latest complete set (or `set`)
 * into scratch targets on the drill server, one unit after another (the adapter's default units,
 * each into `scratchOptions`: never overwriting), runs the post-restore checks, removes the scratch
 * targets (also leftovers of an interrupted drill, before starting), stores the {@link DrillReport}
 * as `<job>/<set-id>/drill-<YYYYMMDD-HHMMSS>.json` next to the set, and pushes
 * `backup_restore_drill_status` and `backup_restore_drill_duration_seconds` (the RTO measured by
 * this drill when it passed, else by the newest passed drill of the job).
 *
 * A failing drill (restore error, corrupt artifact, check mismatch) is a result, not an exception:
 * the report says `ok: false` and why. It throws when there is nothing to drill (`NOT_FOUND`: no
 * complete set; `CONFIG_INVALID`: engine mismatch, bad prefix), after pushing status 0, and
 * `ABORTED` when cancelled (no report, no metrics: an interrupted drill is no verdict).
 */
export async function runDrill<TOptions>(options: RunDrillOptions<TOptions>): Promise<DrillOutcome> {
  const { job, repository } = options;
  const logger = options.logger ?? silentLogger;
  const signal = options.signal ?? new AbortController().signal;
  const clock = options.clock ?? (() => new Date());
  const ctx: EngineContext = { signal, logger };
  // Cleanup must run even after an abort: it gets a signal of its own.
  const cleanupCtx: EngineContext = { signal: new AbortController().signal, logger };
  const started = clock();
  const scratch: ScratchTarget = {
    url: options.scratch.url,
    prefix: options.scratch.prefix ?? DEFAULT_DRILL_PREFIX,
    job: job.name,
  };

  let manifest: Manifest;
  let units: Manifest['units'];
  try {
    manifest = await repository.catalog.resolve(job.name, options.set ?? 'latest');
    if (manifest.engine.name !== job.engine.name) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Set ${manifest.job}/${manifest.id} was made by engine ${manifest.engine.name}, not ${job.engine.name}`,
      );
    }
    units = unitRecords(manifest, job.adapter.defaultUnits(manifest, {}));
    if (units.length === 0)
      throw new BackupError('NOT_FOUND', `Set ${manifest.job}/${manifest.id} has nothing to drill`);
    for (const unit of units) job.adapter.scratchOptions(unit, scratch); // validates the prefix
  } catch (caught) {
    const error = toBackupError(caught, 'INTERNAL', 'Drill failed');
    if (error.code !== 'ABORTED') {
      logger.error({ job: job.name, code: error.code }, `drill not run: ${error.message}`);
      const rto = await lastPassedRto(repository, job.name);
      await push(options, job.name, job.engine.name, false, rto, clock(), logger);
    }
    throw error;
  }

  const drilled: DrilledUnit[] = [];
  let server = '';
  let removed = true;
  let firstError: { code: string; message: string } | undefined;
  let restoreSeconds = 0;
  let checkSeconds = 0;
  const removeScratch = (unit: Manifest['units'][number]): Promise<void> =>
    job.adapter.removeScratch(unit, scratch, cleanupCtx).catch((error: unknown) => {
      removed = false;
      logger.error(
        { job: job.name, unit: unit.name, err: error },
        'could not remove the scratch target; remove it by hand',
      );
    });
  for (const unit of units) {
    const entry: DrilledUnit = { unit: unit.name, kind: unit.kind, target: '' };
    drilled.push(entry);
    let reached = false; // the drill server answered: from here on, cleanup is ours to do
    try {
      await job.adapter.removeScratch(unit, scratch, ctx);
      reached = true;
      // After removeScratch, which may have read the drill server (Neo4j: its edition).
      const scratchOptions = job.adapter.scratchOptions(unit, scratch);
      const target = await job.adapter.describeTarget([unit], scratchOptions, ctx);
      server = target.server;
      entry.target = target.units[0]?.target ?? '';
      const t0 = Date.now();
      const [result] = await restoreBackup({
        catalog: repository.catalog,
        manifest,
        engine: job.engine,
        units: [unit.name],
        options: scratchOptions,
        decryptor: repository.decryptor,
        logger,
        signal,
      });
      entry.restoreSeconds = (Date.now() - t0) / 1000;
      restoreSeconds += entry.restoreSeconds;
      const c0 = Date.now();
      entry.check = await job.adapter.check({ unit, result: result!, options: scratchOptions }, ctx);
      checkSeconds += (Date.now() - c0) / 1000;
      if (!entry.check.ok && !firstError) {
        firstError = { code: 'VERIFY_FAILED', message: `${unit.name}: ${entry.check.summary}` };
      }
    } catch (caught) {
      const error = toBackupError(caught, 'RESTORE_FAILED', `Drill restore of ${unit.name} failed`);
      entry.error = { code: error.code, message: error.message };
      firstError ??= entry.error;
    } finally {
      if (reached) await removeScratch(unit);
    }
    if (signal.aborted) throw new BackupError('ABORTED', `Drill of ${job.name} was aborted`);
    if (entry.error) break;
  }

  const finished = clock();
  const names = new Set(units.map((u) => u.name));
  const artifacts = manifest.artifacts.filter((a) => names.has(a.unit));
  const report: DrillReport = {
    formatVersion: DRILL_REPORT_FORMAT_VERSION,
    kind: 'restore-drill',
    job: job.name,
    setId: manifest.id,
    engine: manifest.engine.name,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    ok: firstError === undefined,
    ...(firstError === undefined ? {} : { error: firstError }),
    rtoSeconds: restoreSeconds,
    durations: {
      restoreSeconds,
      checkSeconds,
      totalSeconds: Math.max(0, (finished.getTime() - started.getTime()) / 1000),
    },
    bytes: {
      stored: artifacts.reduce((n, a) => n + a.storedBytes, 0),
      plaintext: artifacts.reduce((n, a) => n + a.plaintextBytes, 0),
    },
    scratch: { server, prefix: scratch.prefix, removed },
    units: drilled,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
  logger[report.ok ? 'info' : 'error'](
    { job: job.name, set: manifest.id, ok: report.ok, rtoSeconds: report.rtoSeconds, error: report.error },
    'restore drill finished',
  );

  let key: string | undefined = drillReportKey(job.name, manifest.id, started);
  try {
    const created = await repository.storage.createExclusive(key, `${JSON.stringify(report, null, 2)}\n`);
    if (!created) {
      logger.error({ key }, 'a drill report with this name exists already; this one was not stored');
      key = undefined;
    }
  } catch (error) {
    logger.error({ key, err: error }, 'could not store the drill report');
    key = undefined;
  }
  const rto = report.ok ? report.rtoSeconds : await lastPassedRto(repository, job.name);
  const pushed = await push(options, job.name, manifest.engine.name, report.ok, rto, finished, logger);
  return { report, ...(key === undefined ? {} : { key }), ...(pushed === undefined ? {} : { pushed }) };
}

/** The RTO of the job's newest passed drill (from its stored report), if any; never throws. */
async function lastPassedRto(repository: Repository, job: string): Promise<number | undefined> {
  return (await latestPassedDrill(repository.storage, job).catch(() => undefined))?.rtoSeconds;
}

/**
 * Records and pushes the drill metrics when a Pushgateway is configured; never throws. `rtoSeconds`:
 * this drill's RTO when it passed, else the newest passed drill's (so the RTO gauge survives a failed
 * drill, which only turns the status to 0).
 */
async function push(
  options: { pushgateway?: string | undefined; metricsTimeoutMs?: number | undefined },
  job: string,
  engine: string,
  ok: boolean,
  rtoSeconds: number | undefined,
  time: Date,
  logger: Logger,
): Promise<boolean | undefined> {
  if (!options.pushgateway) return undefined;
  try {
    const metrics = createDrillMetrics();
    metrics.recordDrill({ job, engine, ok, restoreSeconds: rtoSeconds, time: time.getTime() });
    const result = await pushDrillMetrics({
      url: options.pushgateway,
      job,
      registry: metrics.registry,
      timeoutMs: options.metricsTimeoutMs,
    });
    logger.info({ job, target: result.url, samples: result.samples }, 'drill metrics pushed');
    return true;
  } catch (error) {
    logger.warn(
      { job, err: isBackupError(error) ? error.message : String(error) },
      'drill metrics push failed (the drill result is unchanged)',
    );
    return false;
  }
}
