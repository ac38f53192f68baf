import diagnosticsChannel from 'node:diagnostics_channel';
import {
  BackupError,
  backupChannels,
  type JobEvent,
  type Logger,
  silentLogger,
  type VerifyEvent,
} from '@backup/core';
import { Counter, Gauge, Registry } from 'prom-client';
import { BACKUP_METRIC_NAMES } from './metricNames.js';
import type { PruneMetricsEvent } from './PruneMetricsEvent.js';

/** Options of {@link createBackupMetrics}. */
export interface BackupMetricsOptions {
  /**
   * Registry to register the metrics in; default a new, empty `Registry` (no default process
   * metrics). Registering two `BackupMetrics` in one registry throws `CONFIG_INVALID`
   * (duplicate metric names).
   */
  registry?: Registry | undefined;
  /**
   * Clock used only when an event carries no finite `time` (an event published by hand);
   * default `() => new Date()`. Times recorded from core's events are the events' own `time`.
   */
  clock?: (() => Date) | undefined;
  /**
   * Where subscribers report events they could not record (malformed messages on the channels);
   * default: silent. Subscribers never throw: a throwing `diagnostics_channel` subscriber would
   * surface as an uncaught exception in the publisher's process.
   */
  logger?: Logger | undefined;
}

/** Per-unit stored size recorded by {@link BackupMetrics.seedLastSuccess}. */
export interface UnitSize {
  /** Unit name (the `unit` label): database, collection... */
  name: string;
  /** Stored bytes of the unit's artifacts (after compression and encryption). */
  storedBytes: number;
}

/**
 * Prometheus metrics of backup jobs, fed from `@backup/core`'s diagnostics channels. All values
 * are "last known" gauges per job (see {@link BACKUP_METRIC_NAMES}), except
 * `backup_pruned_sets_total`.
 *
 * In a Kubernetes CronJob every run is a fresh process: call {@link seedLastSuccess} with the
 * newest complete set from the catalog before pushing, so a failed run still publishes the last
 * success time (the 48 h "backup too old" alert needs it) when pushed with `PUT`.
 */
export interface BackupMetrics {
  /** The registry holding the metrics: render it with `renderMetrics`, push it with `pushMetrics`. */
  readonly registry: Registry;
  /**
   * Subscribes to `backupChannels.job`, `.verify` and `.prune` (`backup:job`, `backup:verify`,
   * `backup:prune`); each message goes to {@link recordJob}, {@link recordVerify} or
   * {@link recordPrune}. Malformed messages are logged as warnings and ignored. Idempotent.
   */
  start(): void;
  /** Unsubscribes from the channels. Recorded values stay in the registry. Idempotent. */
  stop(): void;
  /**
   * Records a `backup:job` event.
   * - `start`: nothing (metrics describe finished runs; the push happens after the run).
   * - `success`: `backup_last_success_timestamp_seconds` and `backup_last_attempt_timestamp_seconds`
   *   = `time`, `backup_duration_seconds` = `durationMs` / 1000, `backup_status` = 1,
   *   `backup_size_bytes{unit}` = each unit's `storedBytes` (units of earlier sets that are gone are
   *   removed), `backup_set_size_bytes` = `storedBytes` (or the units' sum).
   * - `failure`: `backup_last_attempt_timestamp_seconds` = `time`, `backup_duration_seconds`,
   *   `backup_status` = 0. Last success time and sizes are kept.
   *
   * A job whose engine label changes loses its series labelled with the old engine.
   * Throws `INTERNAL` for a malformed event (empty job/engine, unknown phase).
   */
  recordJob(event: JobEvent): void;
  /** Records a `backup:verify` event: `backup_verify_status` = 1 (ok) or 0. Throws `INTERNAL` when malformed. */
  recordVerify(event: VerifyEvent): void;
  /**
   * Records a `backup:prune` event: `backup_retained_sets` = kept sets, `backup_pruned_sets_total`
   * += removed sets. A dry run (`dryRun: true`) changes nothing. Throws `INTERNAL` when malformed.
   */
  recordPrune(event: PruneMetricsEvent): void;
  /**
   * Publishes a success known from storage (the newest complete set's manifest `finishedAt`), so a
   * fresh process reports it too. Sets `backup_last_success_timestamp_seconds` to `time` unless a
   * newer success is already recorded (it never moves backwards); when `units` are given (from the
   * manifest's artifacts, summed per unit) and the seed is applied, also sets the sizes as
   * {@link recordJob} does. Does not touch `backup_status`. Throws `INTERNAL` for an invalid date.
   */
  seedLastSuccess(job: string, engine: string, time: Date, units?: readonly UnitSize[]): void;
}

type JobEngineLabels = 'job' | 'engine';

/**
 * Creates the backup metrics in a registry (see {@link BackupMetrics} for what each event does and
 * {@link BACKUP_METRIC_NAMES} for names, labels and units). Nothing is subscribed until `start()`.
 * Throws `CONFIG_INVALID` when the registry already holds metrics of the same names.
 */
export function createBackupMetrics(options: BackupMetricsOptions = {}): BackupMetrics {
  const registry = options.registry ?? new Registry();
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const registers = [registry];
  let metrics: ReturnType<typeof declareMetrics>;
  try {
    metrics = declareMetrics(registers);
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Cannot register backup metrics: ${(error as Error).message} (one BackupMetrics per registry)`,
      { cause: error },
    );
  }
  const { lastSuccess, lastAttempt, duration, size, setSize, status, verifyStatus, retained, pruned } =
    metrics;
  const jobEngineGauges = [lastSuccess, lastAttempt, duration, setSize, status, verifyStatus];

  const engineOf = new Map<string, string>();
  const lastSuccessOf = new Map<string, number>();
  const unitsOf = new Map<string, string[]>();

  const seconds = (time: unknown): number =>
    (typeof time === 'number' && Number.isFinite(time) ? time : clock().getTime()) / 1000;

  /** Tracks the job's engine; when it changed, drops the series labelled with the old one. */
  const bind = (job: string, engine: string): void => {
    const previous = engineOf.get(job);
    if (previous !== undefined && previous !== engine) {
      for (const gauge of jobEngineGauges) gauge.remove({ job, engine: previous });
      for (const unit of unitsOf.get(job) ?? []) size.remove({ job, engine: previous, unit });
      unitsOf.delete(job);
      lastSuccessOf.delete(job);
    }
    engineOf.set(job, engine);
  };

  const setSizes = (job: string, engine: string, units: readonly UnitSize[], total?: number): void => {
    for (const unit of unitsOf.get(job) ?? []) size.remove({ job, engine, unit });
    for (const unit of units) size.set({ job, engine, unit: unit.name }, unit.storedBytes);
    unitsOf.set(
      job,
      units.map((u) => u.name),
    );
    setSize.set({ job, engine }, total ?? units.reduce((n, u) => n + u.storedBytes, 0));
  };

  const setLastSuccess = (job: string, engine: string, value: number): boolean => {
    const current = lastSuccessOf.get(job);
    if (current !== undefined && current > value) return false;
    lastSuccessOf.set(job, value);
    lastSuccess.set({ job, engine }, value);
    return true;
  };

  const recordJob = (event: JobEvent): void => {
    const { job, engine } = requireJobEngine(event, 'backup:job');
    if (event.phase === 'start') return;
    if (event.phase !== 'success' && event.phase !== 'failure') {
      throw malformed('backup:job', `unknown phase ${JSON.stringify(event.phase)}`);
    }
    bind(job, engine);
    const labels = { job, engine };
    const time = seconds(event.time);
    lastAttempt.set(labels, time);
    if (isCount(event.durationMs)) duration.set(labels, event.durationMs / 1000);
    if (event.phase === 'failure') {
      status.set(labels, 0);
      return;
    }
    status.set(labels, 1);
    setLastSuccess(job, engine, time);
    const units = (event.units ?? []).filter((u) => typeof u?.name === 'string' && isCount(u.storedBytes));
    setSizes(job, engine, units, isCount(event.storedBytes) ? event.storedBytes : undefined);
  };

  const recordVerify = (event: VerifyEvent): void => {
    const { job, engine } = requireJobEngine(event, 'backup:verify');
    if (typeof event.ok !== 'boolean') throw malformed('backup:verify', '`ok` must be a boolean');
    bind(job, engine);
    verifyStatus.set({ job, engine }, event.ok ? 1 : 0);
  };

  const recordPrune = (event: PruneMetricsEvent): void => {
    if (!event || typeof event.job !== 'string' || event.job === '') {
      throw malformed('backup:prune', '`job` must be a non-empty string');
    }
    const kept = countOf(event.keptSets);
    const removed = countOf(event.removedSets);
    if (kept === undefined || removed === undefined) {
      throw malformed('backup:prune', '`keptSets` and `removedSets` must be arrays of set ids or counts');
    }
    if (event.dryRun === true) return;
    retained.set({ job: event.job }, kept);
    pruned.inc({ job: event.job }, removed);
  };

  const seedLastSuccess = (job: string, engine: string, time: Date, units?: readonly UnitSize[]): void => {
    requireJobEngine({ job, engine }, 'seedLastSuccess');
    const ms = time instanceof Date ? time.getTime() : Number.NaN;
    if (!Number.isFinite(ms)) throw malformed('seedLastSuccess', '`time` must be a valid Date');
    bind(job, engine);
    if (setLastSuccess(job, engine, ms / 1000) && units) setSizes(job, engine, units);
  };

  const handlers = {
    [backupChannels.job.name]: guard('backup:job', (m) => recordJob(m as JobEvent)),
    [backupChannels.verify.name]: guard('backup:verify', (m) => recordVerify(m as VerifyEvent)),
    [backupChannels.prune.name]: guard('backup:prune', (m) => recordPrune(m as PruneMetricsEvent)),
  };
  let started = false;

  function guard(channel: string, record: (message: unknown) => void): (message: unknown) => void {
    return (message) => {
      try {
        record(message);
      } catch (error) {
        logger.warn({ channel, err: error }, 'backup metrics: event not recorded');
      }
    };
  }

  return {
    registry,
    start() {
      if (started) return;
      for (const [name, handler] of Object.entries(handlers)) diagnosticsChannel.subscribe(name, handler);
      started = true;
    },
    stop() {
      if (!started) return;
      for (const [name, handler] of Object.entries(handlers)) diagnosticsChannel.unsubscribe(name, handler);
      started = false;
    },
    recordJob,
    recordVerify,
    recordPrune,
    seedLastSuccess,
  };
}

function declareMetrics(registers: Registry[]) {
  const n = BACKUP_METRIC_NAMES;
  const jobEngine: JobEngineLabels[] = ['job', 'engine'];
  return {
    lastSuccess: new Gauge<JobEngineLabels>({
      name: n.lastSuccess,
      help: 'Unix time in seconds when the last successful backup run of the job finished.',
      labelNames: jobEngine,
      registers,
    }),
    lastAttempt: new Gauge<JobEngineLabels>({
      name: n.lastAttempt,
      help: 'Unix time in seconds when the last backup run of the job (success or failure) finished.',
      labelNames: jobEngine,
      registers,
    }),
    duration: new Gauge<JobEngineLabels>({
      name: n.duration,
      help: 'Duration in seconds of the last backup run of the job (success or failure).',
      labelNames: jobEngine,
      registers,
    }),
    size: new Gauge<JobEngineLabels | 'unit'>({
      name: n.size,
      help: 'Stored bytes (compressed, encrypted) of one unit in the last successful backup set.',
      labelNames: ['job', 'engine', 'unit'],
      registers,
    }),
    setSize: new Gauge<JobEngineLabels>({
      name: n.setSize,
      help: 'Stored bytes (compressed, encrypted) of the whole last successful backup set.',
      labelNames: jobEngine,
      registers,
    }),
    status: new Gauge<JobEngineLabels>({
      name: n.status,
      help: '1 when the last backup run of the job succeeded, 0 when it failed.',
      labelNames: jobEngine,
      registers,
    }),
    verifyStatus: new Gauge<JobEngineLabels>({
      name: n.verifyStatus,
      help: '1 when the last verification of a backup set of the job passed, 0 when it failed.',
      labelNames: jobEngine,
      registers,
    }),
    retained: new Gauge<'job'>({
      name: n.retainedSets,
      help: 'Complete backup sets of the job kept after the last prune.',
      labelNames: ['job'],
      registers,
    }),
    pruned: new Counter<'job'>({
      name: n.prunedSets,
      help: 'Backup sets of the job removed by prune since this process started.',
      labelNames: ['job'],
      registers,
    }),
  };
}

function requireJobEngine(event: unknown, source: string): { job: string; engine: string } {
  const { job, engine } = (event ?? {}) as { job?: unknown; engine?: unknown };
  if (typeof job !== 'string' || job === '' || typeof engine !== 'string' || engine === '') {
    throw malformed(source, '`job` and `engine` must be non-empty strings');
  }
  return { job, engine };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function countOf(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length;
  return isCount(value) && Number.isInteger(value) ? value : undefined;
}

function malformed(source: string, reason: string): BackupError {
  return new BackupError('INTERNAL', `Malformed ${source} event: ${reason}`);
}
