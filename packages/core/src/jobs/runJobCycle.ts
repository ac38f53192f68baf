import { Catalog } from '../catalog/Catalog.js';
import type { Engine } from '../engine/Engine.js';
import { BackupError, isBackupError } from '../errors.js';
import { acquireJobLock, DEFAULT_JOB_LOCK_TTL_MS, type JobLock } from '../locks/acquireJobLock.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Manifest } from '../manifest/schema.js';
import type { CompressionSettings } from '../pipeline/compression.js';
import type { ArtifactEncryptor } from '../pipeline/encryption.js';
import { executePrune, type PruneResult } from '../retention/executePrune.js';
import { planPrune } from '../retention/planPrune.js';
import type { RetentionPolicy } from '../retention/RetentionPolicy.js';
import { resolveRetentionPolicy } from '../retention/resolveRetentionPolicy.js';
import type { StorageBackend } from '../storage/StorageBackend.js';
import { runBackup } from './runBackup.js';
import { type VerifyReport, verifyBackup } from './verifyBackup.js';

/** Options of {@link runJobCycle}. */
export interface RunJobCycleOptions {
  /** Job name: the path segment of its sets and of its lock (`<job>/lock.json`). */
  job: string;
  // biome-ignore lint/suspicious/noExplicitAny: any engine, whatever its restore options
  engine: Engine<any>;
  storage: StorageBackend;
  compression: CompressionSettings;
  /**
   * Encrypts the artifacts (age recipients: public keys only). Encrypted artifacts are then verified
   * at the checksum level (the backup side holds no identity); unencrypted ones deep, by the engine.
   */
  encryptor?: ArtifactEncryptor | undefined;
  /** The job's retention policy (restic `forget` semantics); must not be empty. */
  retention: RetentionPolicy;
  /** Clock for set ids, event times, the lock and the prune's "now"; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  /** Cancellation (SIGTERM): the upload is aborted, no manifest is written, the lock is released. */
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /**
   * Lifetime of the job lock in ms; default {@link DEFAULT_JOB_LOCK_TTL_MS} (6 h). The lock is
   * refreshed every third of it while the cycle runs; a lost lock stops the cycle with `LOCKED`.
   */
  lockTtlMs?: number | undefined;
  /** Plan the prune and report what it would delete, deleting nothing. Default false. */
  dryRunPrune?: boolean | undefined;
}

/** The step of a cycle; {@link JobCycleResult.failedStep} says where it stopped. */
export type JobCycleStep = 'config' | 'lock' | 'backup' | 'verify' | 'prune';

/** Result of {@link runJobCycle}: what was done, and the error that stopped it, if any. */
export interface JobCycleResult {
  job: string;
  /** The new set's manifest, when the backup succeeded. */
  manifest?: Manifest | undefined;
  /** The verification of the new set, when it ran. */
  verify?: VerifyReport | undefined;
  /** What prune removed (or would remove, with `dryRunPrune`), when it ran. */
  prune?: PruneResult | undefined;
  /** Why the cycle failed; absent on success. */
  error?: BackupError | undefined;
  /**
   * Where it failed (with `error`). `backup`: `runBackup` failed and already published its
   * `backup:job` failure event; `config` and `lock`: nothing was published and nothing written.
   */
  failedStep?: JobCycleStep | undefined;
  /** Wall-clock duration of the cycle in ms. */
  durationMs: number;
}

/**
 * One scheduled run of a job, the cronjob's unit of work:
 *
 * 1. checks the retention policy (an empty or invalid one fails with `CONFIG_INVALID` before anything
 *    is written);
 * 2. takes the job's lock (`acquireJobLock`): a second concurrent run fails with `LOCKED` and
 *    touches nothing;
 * 3. `runBackup` (manifest written last; on failure or abort the partial set is deleted, no manifest);
 * 4. `verifyBackup` of the new set: deep (engine check of the plaintext) for unencrypted artifacts,
 *    checksum level (stored size + sha256) for encrypted ones, as no identity is given;
 * 5. only when backup and verify succeeded: `planPrune` + `executePrune` with `retention` (the newest
 *    complete set is never removed; incomplete sets older than 24 h are collected), then the engine's
 *    optional `pruneExtra` with the kept sets' manifests (e.g. archived WAL), its counts added to
 *    `prune`;
 * 6. releases the lock, whatever happened (failure and abort included).
 *
 * Never throws for a job failure: the result carries it as a `BackupError` with `failedStep`.
 * Errors that are not `BackupError`s (bugs) are thrown, after the lock was released. Publishes
 * nothing itself: `runBackup`, `verifyBackup` and `executePrune` publish their channel events.
 */
export async function runJobCycle(options: RunJobCycleOptions): Promise<JobCycleResult> {
  const started = Date.now();
  const { job, storage } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const outer = options.signal;
  const result: JobCycleResult = { job, durationMs: 0 };
  const fail = (step: JobCycleStep, error: BackupError): JobCycleResult => {
    result.error = error;
    result.failedStep = step;
    result.durationMs = Date.now() - started;
    logger.error({ job, step, code: error.code, details: error.details }, error.message);
    return result;
  };
  const aborted = (step: JobCycleStep) =>
    fail(step, new BackupError('ABORTED', `Job ${job} was aborted before its ${step} step`));

  try {
    if (resolveRetentionPolicy(options.retention).empty) {
      return fail(
        'config',
        new BackupError(
          'CONFIG_INVALID',
          `retention policy for job ${job} is empty: no policy was specified, no backup sets would be removed ` +
            '(set keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly or keepWithin)',
          { details: { job, field: 'retention' } },
        ),
      );
    }
  } catch (error) {
    if (isBackupError(error)) return fail('config', error);
    throw error;
  }
  if (outer?.aborted) return aborted('lock');

  let lock: JobLock;
  const ttlMs = options.lockTtlMs ?? DEFAULT_JOB_LOCK_TTL_MS;
  try {
    lock = await acquireJobLock({ storage, job, ttlMs, clock });
  } catch (error) {
    if (isBackupError(error)) return fail('lock', error);
    throw error;
  }
  logger.info({ job, lock: lock.key, expiresAt: lock.info.expiresAt }, 'job lock acquired');

  // The cycle's own signal: the caller's, or a lost lock (another run may be writing this job).
  const internal = new AbortController();
  const signal = outer ? AbortSignal.any([outer, internal.signal]) : internal.signal;
  let lost: BackupError | undefined;
  // A refresh in flight must settle before the release, or its put could recreate the lock.
  let refreshing: Promise<void> | undefined;
  const refresher = setInterval(
    () => {
      if (refreshing || lost) return;
      refreshing = lock
        .refresh()
        .catch((error: unknown) => {
          if (isBackupError(error, 'LOCKED')) {
            lost = error;
            logger.error({ job, lock: lock.key }, error.message);
            internal.abort(error);
          } else {
            logger.warn({ job, err: error }, 'could not refresh the job lock; retrying at the next interval');
          }
        })
        .finally(() => {
          refreshing = undefined;
        });
    },
    // setInterval's limit is 2^31 - 1 ms (about 24.8 days); longer delays would fire at once.
    Math.min(Math.max(1, Math.floor(ttlMs / 3)), 2 ** 31 - 1),
  );
  refresher.unref();

  try {
    return await cycle();
  } finally {
    clearInterval(refresher);
    await refreshing;
    try {
      await lock.release();
      logger.info({ job, lock: lock.key }, 'job lock released');
    } catch (error) {
      logger.error(
        { job, lock: lock.key, err: error },
        `could not release the job lock; it expires at ${lock.info.expiresAt} (or delete ${lock.key} by hand)`,
      );
    }
  }

  async function cycle(): Promise<JobCycleResult> {
    const stop = (step: JobCycleStep, error: BackupError) =>
      fail(
        step,
        lost ?? (signal.aborted && !isBackupError(error, 'ABORTED') ? abortedDuring(step, error) : error),
      );

    // An already aborted signal is left to runBackup: it fails with ABORTED (publishing its failure
    // event) before writing anything, so `failedStep: 'backup'` always means "runBackup published".
    try {
      result.manifest = await runBackup({
        job,
        engine: options.engine,
        storage,
        compression: options.compression,
        encryptor: options.encryptor,
        logger,
        signal,
        clock,
      });
    } catch (error) {
      if (isBackupError(error)) return stop('backup', error);
      throw error;
    }
    const manifest = result.manifest;

    if (signal.aborted) return lost ? fail('verify', lost) : aborted('verify');
    const catalog = new Catalog(storage);
    result.verify = await verifyBackup({ catalog, manifest, engine: options.engine, logger, signal });
    if (!result.verify.ok) {
      const failed = result.verify.artifacts.filter((a) => !a.ok);
      const first = failed[0]?.error;
      const code = (first?.code ?? 'VERIFY_FAILED') as BackupError['code'];
      return stop(
        'verify',
        new BackupError(
          code,
          `Set ${job}/${manifest.id} failed verification (${failed.map((a) => a.name).join(', ')}): ${first?.message ?? 'unknown error'}; prune skipped`,
          { details: { job, set: manifest.id, artifacts: failed.map((a) => a.name) } },
        ),
      );
    }
    const levels = [...new Set(result.verify.artifacts.map((a) => a.level))];
    logger.info({ job, set: manifest.id, levels }, 'backup set verified');

    if (signal.aborted) return lost ? fail('prune', lost) : aborted('prune');
    try {
      const plan = await planPrune({ catalog, job, policy: options.retention, now: clock() });
      result.prune = await executePrune({ storage, plan, dryRun: options.dryRunPrune ?? false });
      if (options.engine.pruneExtra) {
        const keep = await Promise.all(plan.keep.map((k) => catalog.readManifest(job, k.backup.id)));
        const extra = await options.engine.pruneExtra(
          { storage, job, keep, dryRun: result.prune.dryRun },
          { signal, logger },
        );
        result.prune.deletedObjects += extra.deletedObjects;
        result.prune.freedBytes += extra.freedBytes;
      }
    } catch (error) {
      if (isBackupError(error)) return stop('prune', error);
      throw error;
    }
    logger.info(
      {
        job,
        dryRun: result.prune.dryRun,
        removed: result.prune.removedSetIds,
        removedIncomplete: result.prune.removedIncompleteSetIds,
        kept: result.prune.keptSets,
      },
      result.prune.dryRun ? 'prune planned (dry run: nothing deleted)' : 'pruned',
    );
    result.durationMs = Date.now() - started;
    return result;
  }

  function abortedDuring(step: JobCycleStep, cause: BackupError): BackupError {
    return new BackupError('ABORTED', `Job ${job} was aborted during its ${step} step`, { cause });
  }
}
