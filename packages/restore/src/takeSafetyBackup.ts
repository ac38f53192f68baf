import { BackupError, type Logger, runBackup, toBackupError } from '@backup/core';
import type { Repository } from './Repository.js';
import type { RestoreJob } from './RestoreJob.js';
import { safetyJobName } from './safetyJobName.js';
import type { UnitTarget } from './UnitTarget.js';

/** A safety backup that was taken. */
export interface SafetyBackupResult {
  /** `<job>-pre-restore`. */
  job: string;
  /** Its set id. */
  setId: string;
  /** The targets it holds (database names...). */
  targets: string[];
  storedBytes: number;
  seconds: number;
}

/** Input of {@link takeSafetyBackup}. */
export interface TakeSafetyBackupInput<TOptions> {
  job: RestoreJob<TOptions>;
  repository: Repository;
  /** The targets about to be overwritten. */
  overwritten: readonly UnitTarget[];
  /** The restore options (where the target is). */
  options: TOptions;
  logger: Logger;
  signal: AbortSignal;
  clock?: (() => Date) | undefined;
  onProgress?: ((artifact: string, plaintextBytes: number) => void) | undefined;
}

/**
 * Backs up the current state of the targets about to be overwritten with `runBackup`, into job
 * `<job>-pre-restore` of the same repository (same compression and encryption as the job), with an
 * engine the adapter binds to the target (`safetyBackupEngine`). Its manifest is written last, as
 * for every set, so only a complete safety backup lets the restore go on. Throws the backup's error
 * (its code kept) saying that nothing was restored and how to go on without one.
 */
export async function takeSafetyBackup<TOptions>(
  input: TakeSafetyBackupInput<TOptions>,
): Promise<SafetyBackupResult> {
  const started = Date.now();
  const job = safetyJobName(input.job.name);
  const targets = input.overwritten.map((u) => u.target);
  try {
    const manifest = await runBackup({
      job,
      engine: input.job.adapter.safetyBackupEngine(input.overwritten, input.options),
      storage: input.repository.storage,
      compression: input.repository.compression,
      encryptor: input.repository.encryptor,
      logger: input.logger,
      signal: input.signal,
      clock: input.clock,
      onProgress: input.onProgress,
    });
    const result: SafetyBackupResult = {
      job,
      setId: manifest.id,
      targets,
      storedBytes: manifest.artifacts.reduce((n, a) => n + a.storedBytes, 0),
      seconds: (Date.now() - started) / 1000,
    };
    input.logger.info({ job, set: manifest.id, targets }, 'safety backup taken');
    return result;
  } catch (caught) {
    const error = toBackupError(caught, 'SOURCE_FAILED', 'Safety backup failed');
    if (error.code === 'ABORTED') throw error;
    throw new BackupError(
      error.code,
      `Safety backup of ${targets.join(', ')} (job ${job}) failed, so nothing was restored and the target is ` +
        `untouched: ${error.message}\nFix the cause, or pass --no-safety-backup to restore without one`,
      { cause: error, details: { ...error.details, safetyJob: job } },
    );
  }
}
