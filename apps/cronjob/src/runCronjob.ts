import {
  type BackupConfig,
  createEncryptor,
  createEngine,
  createStorage,
  type JobConfig,
  loadConfig,
  resolveRetention,
} from '@backup/config';
import {
  type ArtifactEncryptor,
  BackupError,
  Catalog,
  EXIT_CODES,
  exitCodeOf,
  isBackupError,
  type JobCycleResult,
  type Logger,
  type Manifest,
  resolveCompression,
  runJobCycle,
  type StorageBackend,
} from '@backup/core';
import { createLogger } from '@backup/logger';
import { type BackupMetrics, createBackupMetrics, pushMetrics, writeTextfile } from '@backup/metrics';
import pLimit from 'p-limit';
import { type CronjobArgs, parseArgs } from './args.js';

/** Something to write text to (`process.stdout`, a test buffer). */
export interface TextOutput {
  write(text: string): unknown;
}

/** Options of {@link runCronjob}; everything is injectable for tests. */
export interface RunCronjobOptions {
  /** Command-line arguments WITHOUT node and the script (`process.argv.slice(2)`); default none. */
  argv?: readonly string[] | undefined;
  /**
   * Environment: `BACKUP_CONFIG`, `BACKUP_JOBS`, `BACKUP_PUSHGATEWAY_URL`, `${VAR}` of the config,
   * the engines' variables (`PGPASSWORD`...). Default `process.env`. (S3 credentials come from the
   * AWS SDK's standard chain, which reads `process.env`.)
   */
  env?: NodeJS.ProcessEnv | undefined;
  /** Clock for set ids, lock times, prune "now" and metric times; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  /**
   * Cancellation (SIGTERM/SIGINT, wired by `main`). Running jobs abort their uploads and release
   * their locks, jobs not started yet do not start, failure metrics are pushed. When the signal's
   * `reason` has a numeric `exitCode` (see {@link CronjobInterrupt}) that is the exit code, else 130.
   */
  signal?: AbortSignal | undefined;
  /** Logger (JSON lines on stderr by default, see `createLogger`). */
  logger?: Logger | undefined;
  /** Per-job summary lines; default `process.stdout`. */
  stdout?: TextOutput | undefined;
  /** Usage and fatal error messages; default `process.stderr`. */
  stderr?: TextOutput | undefined;
  /** After the signal, how long to wait for running jobs to finish aborting; default 40 000 ms. */
  abortGraceMs?: number | undefined;
  /** Timeout of each Pushgateway push and of the catalog read that seeds it; default 10 000 ms. */
  metricsTimeoutMs?: number | undefined;
}

/** One job's outcome, as printed in its summary line. */
export interface JobSummary {
  job: string;
  /** Engine name (the metrics' `engine` label). */
  engine: string;
  ok: boolean;
  /** The new set, when the backup succeeded. */
  setId?: string | undefined;
  /** Stored bytes of the new set. */
  storedBytes?: number | undefined;
  /** Verification level(s) of the new set: `deep`, `checksum` or `deep+checksum`. */
  verify?: string | undefined;
  /** Set ids prune removed (or would remove, with `--dry-run-prune`). */
  pruned?: string[] | undefined;
  /** Incomplete set ids prune removed. */
  prunedIncomplete?: string[] | undefined;
  /** Complete sets kept by prune. */
  kept?: number | undefined;
  dryRunPrune?: boolean | undefined;
  /** Why the job failed: error code, message (one line), and the step (`config`, `lock`, `backup`...). */
  error?: { code: string; message: string; step: string } | undefined;
  /** Whether the job's metrics reached the Pushgateway (`undefined`: none configured, or skipped). */
  pushed?: boolean | undefined;
  durationMs: number;
}

/** Result of {@link runCronjob}. */
export interface CronjobResult {
  /** 0 when every job succeeded; else the first failed job's class (docs/cli.md); 143/130 on a signal. */
  exitCode: number;
  /** One summary per selected job, in config order. */
  jobs: JobSummary[];
}

/** Abort reason for a signal: carries the exit code (`143` for SIGTERM, `130` for SIGINT). */
export class CronjobInterrupt extends Error {
  readonly signal: NodeJS.Signals;
  readonly exitCode: number;

  constructor(signal: NodeJS.Signals) {
    super(`received ${signal}`);
    this.name = 'CronjobInterrupt';
    this.signal = signal;
    this.exitCode = signal === 'SIGTERM' ? EXIT_CODES.SIGTERM : EXIT_CODES.ABORTED;
  }
}

const DEFAULT_ABORT_GRACE_MS = 40_000;
const DEFAULT_METRICS_TIMEOUT_MS = 10_000;

/**
 * The cronjob runner, `backup-cronjob [--config FILE] [--job NAME]... [--concurrency N]
 * [--dry-run-prune]`: loads the config, then for each selected job (all by default, or
 * `BACKUP_JOBS`), at most `--concurrency` at a time, runs `runJobCycle` (lock -> backup -> verify ->
 * prune -> release) and then publishes the job's metrics: the last success is seeded from the
 * catalog's newest complete set, then the job's group is pushed to the Pushgateway
 * (`BACKUP_PUSHGATEWAY_URL`, else the config's `metrics.pushgateway`) and/or the registry is written
 * to `metrics.textfile`. Push failures are warnings. Prints one summary line per job to stdout.
 *
 * Never throws: resolves with the exit code (see {@link CronjobResult}) and the summaries.
 * Metrics details: a failure that `runBackup` did not publish itself (lock, config, an abort during
 * verify or prune) is recorded as a failed run (`backup_status` 0); a `LOCKED` job pushes nothing
 * (the group belongs to the run holding the lock); when the catalog cannot be read (storage down),
 * the push uses `POST` so the Pushgateway keeps the last success it has.
 */
export async function runCronjob(options: RunCronjobOptions = {}): Promise<CronjobResult> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const logger = options.logger ?? createLogger({ env, app: 'backup-cronjob', pretty: false });
  const clock = options.clock ?? (() => new Date());
  const signal = options.signal ?? new AbortController().signal;

  let args: CronjobArgs;
  let config: BackupConfig;
  let jobs: JobConfig[];
  let storage: StorageBackend;
  let encryptor: ArtifactEncryptor | undefined;
  try {
    const parsed = parseArgs(options.argv ?? [], env, { stdout, stderr });
    if ('exitCode' in parsed) return { exitCode: parsed.exitCode, jobs: [] };
    args = parsed.args;
    const loaded = await loadConfig({ path: args.config, env });
    config = loaded.config;
    jobs = selectJobs(config, args.jobs);
    encryptor = createEncryptor(config.encryption);
    storage = createStorage(config.storage);
    logger.info(
      {
        config: loaded.path,
        jobs: jobs.map((j) => j.name),
        concurrency: args.concurrency,
        storage: storage.description,
        encrypted: encryptor !== undefined,
        dryRunPrune: args.dryRunPrune,
      },
      'cronjob starting',
    );
  } catch (error) {
    return { exitCode: reportFatal(error, logger, stderr), jobs: [] };
  }

  const pushgateway = nonEmpty(env['BACKUP_PUSHGATEWAY_URL']) ?? config.metrics?.pushgateway;
  const textfile = config.metrics?.textfile;
  const metricsTimeoutMs = options.metricsTimeoutMs ?? DEFAULT_METRICS_TIMEOUT_MS;
  if (args.drill) {
    const drills = {
      config,
      jobs,
      storage,
      env,
      logger,
      clock,
      signal,
      stdout,
      stderr,
      pushgateway,
      metricsTimeoutMs,
    };
    // Loaded only for --drill: the drills bring @backup/restore and with it every engine's client
    // (neo4j-driver, the Qdrant client, ...): ~110-130 ms of start-up a backup run does not need
    // (measured; docs/performance.md, "Start-up").
    const { runDrills } = await import('./runDrills.js');
    return { exitCode: (await runDrills(drills)).exitCode, jobs: [] };
  }
  const catalog = new Catalog(storage);
  const metrics = createBackupMetrics({ clock, logger });
  metrics.start();

  const onAbort = () =>
    logger.warn(
      { reason: String(signal.reason), graceMs: options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS },
      'stopping: aborting running jobs (uploads aborted, no manifest, locks released)',
    );
  signal.addEventListener('abort', onAbort, { once: true });

  const summaries: Array<JobSummary | undefined> = jobs.map(() => undefined);
  const started = jobs.map(() => 0);
  const limit = pLimit(args.concurrency);
  try {
    const tasks = jobs.map((job, index) =>
      limit(async () => {
        started[index] = Date.now();
        summaries[index] = await runJob(job);
      }),
    );
    const settled = await settleWithin(
      Promise.allSettled(tasks),
      signal,
      options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS,
    );
    if (!settled) {
      limit.clearQueue();
      // Jobs that did not finish aborting in time: report them failed (the process exits next).
      await Promise.all(
        jobs.map(async (job, index) => {
          if (summaries[index]) return;
          const engine = job.engine;
          const error = new BackupError(
            'ABORTED',
            `Job ${job.name} did not finish aborting within ${options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS} ms`,
          );
          const durationMs = started[index] ? Date.now() - started[index] : 0;
          recordFailure(metrics, job.name, engine, clock, durationMs, error);
          const pushed = await publish(job.name, engine);
          summaries[index] = {
            job: job.name,
            engine,
            ok: false,
            durationMs,
            pushed,
            error: describe(error, 'abort'),
          };
        }),
      );
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    metrics.stop();
  }

  const results = summaries as JobSummary[];
  for (const summary of results) stdout.write(`${formatSummary(summary)}\n`);
  const firstFailure = results.find((s) => !s.ok);
  const exitCode = signal.aborted
    ? interruptExitCode(signal.reason)
    : firstFailure
      ? (EXIT_CODES[firstFailure.error?.code as keyof typeof EXIT_CODES] ?? EXIT_CODES.INTERNAL)
      : EXIT_CODES.OK;
  logger.info(
    {
      exitCode,
      ok: results.filter((s) => s.ok).map((s) => s.job),
      failed: results.filter((s) => !s.ok).map((s) => s.job),
    },
    'cronjob finished',
  );
  return { exitCode, jobs: results };

  async function runJob(job: JobConfig): Promise<JobSummary> {
    const begin = Date.now();
    let engineName: string = job.engine;
    let cycle: JobCycleResult;
    const notStarted = signal.aborted;
    if (notStarted) {
      cycle = {
        job: job.name,
        error: new BackupError('ABORTED', `Job ${job.name} was not started: the cronjob is stopping`),
        failedStep: 'config',
        durationMs: 0,
      };
      logger.warn({ job: job.name }, cycle.error!.message);
    } else {
      try {
        const engine = createEngine(job, env);
        engineName = engine.name;
        cycle = await runJobCycle({
          job: job.name,
          engine,
          storage,
          compression: resolveCompression(job.compression ?? config.compression),
          encryptor,
          retention: resolveRetention(config, job),
          clock,
          signal,
          logger,
          dryRunPrune: args.dryRunPrune,
        });
      } catch (caught) {
        const error = isBackupError(caught)
          ? caught
          : new BackupError(
              'INTERNAL',
              caught instanceof Error ? (caught.stack ?? caught.message) : String(caught),
              { cause: caught },
            );
        logger.error({ job: job.name, code: error.code, details: error.details }, error.message);
        cycle = { job: job.name, error, failedStep: 'config', durationMs: Date.now() - begin };
      }
    }
    const { error } = cycle;
    if (error && failureUnpublished(cycle)) {
      recordFailure(metrics, job.name, engineName, clock, Date.now() - begin, error);
    }
    let pushed: boolean | undefined;
    if (error?.code === 'LOCKED') {
      logger.warn({ job: job.name }, 'metrics not published: the job belongs to the run holding its lock');
    } else {
      pushed = await publish(job.name, engineName);
    }
    const summary: JobSummary = {
      job: job.name,
      engine: engineName,
      ok: !error,
      durationMs: Date.now() - begin,
    };
    if (pushed !== undefined) summary.pushed = pushed;
    if (cycle.manifest) {
      summary.setId = cycle.manifest.id;
      summary.storedBytes = cycle.manifest.artifacts.reduce((n, a) => n + a.storedBytes, 0);
    }
    if (cycle.verify) {
      summary.verify = [...new Set(cycle.verify.artifacts.map((a) => a.level))].sort().join('+') || 'none';
    }
    if (cycle.prune) {
      summary.pruned = cycle.prune.removedSetIds;
      summary.prunedIncomplete = cycle.prune.removedIncompleteSetIds;
      summary.kept = cycle.prune.keptSets;
      summary.dryRunPrune = cycle.prune.dryRun;
    }
    if (error) summary.error = describe(error, notStarted ? 'not-started' : (cycle.failedStep ?? 'unknown'));
    return summary;
  }

  /**
   * Seeds the last success from the catalog, then pushes the job's group and writes the textfile.
   * Returns whether the push succeeded (`undefined` without a Pushgateway). Never throws.
   */
  async function publish(job: string, engine: string): Promise<boolean | undefined> {
    let method: 'PUT' | 'POST' = 'PUT';
    try {
      const latest = await withTimeout(
        catalog.resolve(job, 'latest'),
        metricsTimeoutMs,
        'reading the catalog',
      );
      metrics.seedLastSuccess(job, engine, new Date(latest.finishedAt), unitSizes(latest));
    } catch (error) {
      if (!isBackupError(error, 'NOT_FOUND')) {
        // Without the catalog, a PUT would drop the last success the Pushgateway still has.
        method = 'POST';
        logger.warn(
          { job, err: error },
          'could not read the last successful set to seed the metrics; pushing with POST (keeps the last success)',
        );
      }
    }
    let pushed: boolean | undefined;
    if (pushgateway) {
      try {
        const result = await pushMetrics({
          url: pushgateway,
          job,
          registry: metrics.registry,
          method,
          timeoutMs: metricsTimeoutMs,
        });
        logger.info({ job, target: result.url, method, samples: result.samples }, 'metrics pushed');
        pushed = true;
      } catch (error) {
        logger.warn({ job, err: error }, 'metrics push failed (the job result is unchanged)');
        pushed = false;
      }
    }
    if (textfile) {
      try {
        const result = await writeTextfile({ path: textfile, registry: metrics.registry });
        logger.info({ job, path: result.path, samples: result.samples }, 'metrics textfile written');
      } catch (error) {
        logger.warn({ job, err: error }, 'metrics textfile not written (the job result is unchanged)');
      }
    }
    return pushed;
  }
}

/** The jobs named, in config order; unknown names are `NOT_FOUND` (exit 3: a CronJob for a job not in the config). */
function selectJobs(config: BackupConfig, names: readonly string[]): JobConfig[] {
  if (names.length === 0) return config.jobs;
  const unknown = names.filter((name) => !config.jobs.some((j) => j.name === name));
  if (unknown.length > 0) {
    throw new BackupError(
      'NOT_FOUND',
      `Unknown job ${unknown.map((n) => `"${n}"`).join(', ')}; configured jobs: ${config.jobs.map((j) => j.name).join(', ')}`,
      { details: { jobs: unknown } },
    );
  }
  return config.jobs.filter((j) => names.includes(j.name));
}

/**
 * True when no `backup:job` failure event was published for this failure: it happened before
 * `runBackup` (config, lock), or the run was aborted (or lost its lock) after a successful backup,
 * during verify or prune. A plain verify or prune failure is not a failed backup run (the set is
 * there; `backup_verify_status` and the exit code report it).
 */
function failureUnpublished(cycle: JobCycleResult): boolean {
  const { error, failedStep } = cycle;
  if (!error) return false;
  if (failedStep === 'backup') return false;
  if (failedStep === 'verify' || failedStep === 'prune')
    return error.code === 'ABORTED' || error.code === 'LOCKED';
  return true;
}

function recordFailure(
  metrics: BackupMetrics,
  job: string,
  engine: string,
  clock: () => Date,
  durationMs: number,
  error: BackupError,
): void {
  try {
    metrics.recordJob({
      phase: 'failure',
      job,
      engine,
      time: clock().getTime(),
      durationMs,
      errorCode: error.code,
    });
  } catch {
    // malformed names cannot happen for configured jobs; metrics never fail a run
  }
}

function unitSizes(manifest: Manifest): Array<{ name: string; storedBytes: number }> {
  const sizes = new Map<string, number>();
  for (const unit of manifest.units) sizes.set(unit.name, 0);
  for (const artifact of manifest.artifacts) {
    sizes.set(artifact.unit, (sizes.get(artifact.unit) ?? 0) + artifact.storedBytes);
  }
  return [...sizes].map(([name, storedBytes]) => ({ name, storedBytes }));
}

function describe(error: BackupError, step: string): { code: string; message: string; step: string } {
  return { code: error.code, message: oneLine(error.message), step };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ').trim();
}

/**
 * One line per job, `key=value` after the status and the job name:
 * `ok      postgresql  set=20260110-020000 stored=123456B verify=checksum pruned=2 kept=5 duration=3.1s`
 * `FAILED  postgresql  code=SOURCE_FAILED step=backup duration=0.4s message="..."`
 */
export function formatSummary(summary: JobSummary): string {
  const seconds = `${(summary.durationMs / 1000).toFixed(1)}s`;
  const parts: string[] = [];
  if (summary.ok) {
    parts.push(`set=${summary.setId}`, `stored=${summary.storedBytes}B`, `verify=${summary.verify}`);
  } else {
    parts.push(`code=${summary.error?.code}`, `step=${summary.error?.step}`);
    if (summary.setId) parts.push(`set=${summary.setId}`);
  }
  if (summary.pruned) {
    parts.push(
      summary.dryRunPrune ? `would-prune=${summary.pruned.length}` : `pruned=${summary.pruned.length}`,
      `kept=${summary.kept}`,
    );
    if (summary.prunedIncomplete && summary.prunedIncomplete.length > 0) {
      parts.push(`incomplete-pruned=${summary.prunedIncomplete.length}`);
    }
  }
  if (summary.pushed !== undefined) parts.push(`metrics=${summary.pushed ? 'pushed' : 'push-failed'}`);
  parts.push(`duration=${seconds}`);
  if (summary.error) parts.push(`message=${JSON.stringify(summary.error.message)}`);
  return `${(summary.ok ? 'ok' : 'FAILED').padEnd(7)} ${summary.job}  ${parts.join(' ')}`;
}

/** Logs a fatal (pre-job) error, prints `error [CODE]: message` and returns its exit code. */
function reportFatal(error: unknown, logger: Logger, stderr: TextOutput): number {
  const known = isBackupError(error)
    ? error
    : new BackupError('INTERNAL', error instanceof Error ? (error.stack ?? error.message) : String(error), {
        cause: error,
      });
  logger.error({ code: known.code, details: known.details }, known.message);
  stderr.write(`error [${known.code}]: ${known.message}\n`);
  return exitCodeOf(known);
}

function interruptExitCode(reason: unknown): number {
  const code = (reason as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' && Number.isInteger(code) ? code : EXIT_CODES.ABORTED;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Waits for `all`; once `signal` fires, waits at most `graceMs` more. Resolves true when `all`
 * settled, false when the grace period ran out.
 */
async function settleWithin(all: Promise<unknown>, signal: AbortSignal, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const grace = new Promise<boolean>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve(false), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([all.then(() => true), grace]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BackupError('STORAGE_UNREACHABLE', `Timed out after ${ms} ms ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
