import { BackupError, isBackupError, restoreBackup, silentLogger, toBackupError } from '@backup/core';
import { assertNoRefusal } from './assertNoRefusal.js';
import { type PlanRestoreInput, type RestorePlan, unitRecords } from './planRestore.js';
import type { RestoreProgressEvent } from './RestoreProgressEvent.js';
import { type SafetyBackupResult, takeSafetyBackup } from './takeSafetyBackup.js';
import { trackProgress } from './trackProgress.js';
import type { UnitCheck } from './UnitCheck.js';
import type { UnitAction } from './UnitTarget.js';
import { verifyArtifacts } from './verifyArtifacts.js';

/** Input of {@link executeRestore}: the plan's input and the plan. */
export interface ExecuteRestoreInput<TOptions> extends PlanRestoreInput<TOptions> {
  /** From `planRestore` with the same input. */
  plan: RestorePlan;
  /** Clock of the safety backup's set id; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  /** Progress of the verify, safety-backup and restore phases (bytes, rate, ETA). */
  onProgress?: ((event: RestoreProgressEvent) => void) | undefined;
}

/** One restored unit in a {@link RestoreReport}. */
export interface RestoredUnit {
  unit: string;
  kind: string;
  /** Where it went (database name...). */
  target: string;
  /** What the plan said would happen to the target. */
  action: UnitAction;
  /** Seconds its restore took. */
  seconds: number;
  /** What the engine reported (`RestoreResult.metadata`: created, clean, tables...). */
  metadata: Record<string, unknown>;
  /** The post-restore check. */
  check: UnitCheck;
}

/** What a restore did (`--json` prints it). */
export interface RestoreReport {
  job: string;
  setId: string;
  engine: string;
  /** Target server label, never with credentials. */
  server: string;
  /** True when every post-restore check passed. */
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  /** True when every artifact was read and checked before the target was touched. */
  verifiedFirst: boolean;
  /** The safety backup taken before overwriting, if any. */
  safetyBackup?: SafetyBackupResult | undefined;
  /** How to put the overwritten targets back (restore the safety set), when a safety backup was taken. */
  undo?: string | undefined;
  units: RestoredUnit[];
  durations: {
    verifySeconds: number;
    safetyBackupSeconds: number;
    restoreSeconds: number;
    checkSeconds: number;
    totalSeconds: number;
  };
  storedBytes: number;
  plaintextBytes: number;
}

/**
 * Executes a plan, in this order, stopping at the first failure:
 *
 * 1. refuses (`TARGET_NOT_EMPTY`, naming the targets and `--force`) when the plan refuses a unit;
 * 2. with `plan.verifyFirst`, reads every artifact through its checksums (`verifyArtifacts`);
 * 3. with a `take` safety backup, backs the overwritten targets up into `<job>-pre-restore`
 *    (`takeSafetyBackup`); if that fails nothing is restored;
 * 4. restores the units one by one through the engine (`restoreBackup`: streamed, checksums verified
 *    while streaming);
 * 5. runs the adapter's post-restore check of each unit (a check that cannot run is reported as a
 *    failed check, not thrown: the data is restored by then).
 *
 * Returns the report (`ok: false` when a check found a difference). Throws the step's `BackupError`;
 * after a safety backup, the error's message names the safety set to restore to undo.
 */
export async function executeRestore<TOptions>(input: ExecuteRestoreInput<TOptions>): Promise<RestoreReport> {
  const { job, repository, request, plan } = input;
  const { manifest } = request;
  const logger = input.logger ?? silentLogger;
  const signal = input.signal ?? new AbortController().signal;
  const ctx = { signal, logger };
  const started = new Date();
  const units = unitRecords(manifest, plan.units);
  const options = job.adapter.restoreOptions(request.flags, units);

  assertNoRefusal(plan);

  let verifySeconds = 0;
  if (plan.verifyFirst) {
    const t0 = Date.now();
    await verifyArtifacts({
      catalog: repository.catalog,
      manifest,
      artifacts: plan.artifacts.map((a) => a.name),
      decryptor: repository.decryptor,
      signal,
      onProgress: trackProgress('verify', plan.storedBytes, input.onProgress),
    });
    verifySeconds = (Date.now() - t0) / 1000;
    logger.info({ job: plan.job, set: plan.setId, artifacts: plan.artifacts.length }, 'artifacts verified');
  }

  let safetyBackup: SafetyBackupResult | undefined;
  if (plan.safetyBackup.action === 'take') {
    safetyBackup = await takeSafetyBackup({
      job,
      repository,
      overwritten: plan.target.units.filter((u) => u.action === 'overwrite'),
      options,
      logger,
      signal,
      clock: input.clock,
      onProgress: trackProgress('safety-backup', undefined, input.onProgress),
    });
  }
  const undo = safetyBackup
    ? `backup restore ${safetyBackup.setId} --job ${safetyBackup.job} --force` +
      (request.flags.target === undefined ? '' : ' --target <the same --target URL>')
    : undefined;

  const restored: RestoredUnit[] = [];
  const progress = trackProgress('restore', plan.storedBytes, input.onProgress);
  let restoreSeconds = 0;
  let checkSeconds = 0;
  for (const unit of units) {
    const planned = plan.target.units.find((u) => u.unit === unit.name);
    const t0 = Date.now();
    let result: Awaited<ReturnType<typeof restoreBackup>>[number];
    try {
      [result] = (await restoreBackup({
        catalog: repository.catalog,
        manifest,
        engine: job.engine,
        units: [unit.name],
        options,
        decryptor: repository.decryptor,
        logger,
        signal,
        onProgress: progress,
      })) as [typeof result];
    } catch (caught) {
      const error = toBackupError(caught, 'RESTORE_FAILED', `Restore of ${unit.name} failed`);
      const done = restored.map((r) => r.unit);
      const notes = [
        done.length > 0 ? `restored before the failure: ${done.join(', ')}` : undefined,
        undo ? `to put the overwritten targets back: ${undo}` : undefined,
      ].filter((n) => n !== undefined);
      if (notes.length === 0) throw error;
      throw new BackupError(error.code, `${error.message}\n${notes.join('\n')}`, {
        cause: error,
        details: { ...error.details, restored: done, ...(safetyBackup ? { safetyBackup } : {}) },
      });
    }
    const seconds = (Date.now() - t0) / 1000;
    restoreSeconds += seconds;
    const c0 = Date.now();
    const check = await job.adapter.check({ unit, result, options }, ctx).catch(
      (error: unknown): UnitCheck => ({
        unit: unit.name,
        target: result.target,
        ok: false,
        compared: false,
        summary: `check failed: ${isBackupError(error) ? error.message : String(error)}`,
        items: [],
        warnings: [],
      }),
    );
    checkSeconds += (Date.now() - c0) / 1000;
    restored.push({
      unit: unit.name,
      kind: unit.kind,
      target: result.target,
      action: planned?.action ?? 'restore',
      seconds,
      metadata: result.metadata,
      check,
    });
    logger.info(
      { unit: unit.name, target: result.target, ok: check.ok, check: check.summary },
      'unit checked',
    );
  }
  const finished = new Date();
  return {
    job: plan.job,
    setId: plan.setId,
    engine: plan.engine,
    server: plan.target.server,
    ok: restored.every((r) => r.check.ok),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    verifiedFirst: plan.verifyFirst,
    ...(safetyBackup ? { safetyBackup, undo } : {}),
    units: restored,
    durations: {
      verifySeconds,
      safetyBackupSeconds: safetyBackup?.seconds ?? 0,
      restoreSeconds,
      checkSeconds,
      totalSeconds: (finished.getTime() - started.getTime()) / 1000,
    },
    storedBytes: plan.storedBytes,
    plaintextBytes: plan.plaintextBytes,
  };
}
