import {
  BackupError,
  type CompressionAlgorithm,
  type Logger,
  type Manifest,
  silentLogger,
} from '@backup/core';
import { latestPassedDrill } from './drill/findDrillReports.js';
import { estimateRestore, type RestoreEstimate } from './estimateRestore.js';
import type { Repository } from './Repository.js';
import type { RestoreFlags } from './RestoreFlags.js';
import type { RestoreJob } from './RestoreJob.js';
import { safetyJobName } from './safetyJobName.js';
import type { TargetDescription } from './UnitTarget.js';

/** What to restore and how. */
export interface RestoreRequest {
  /** The set (from `chooseSet` / `resolveBackupSet`). */
  manifest: Manifest;
  /** Unit names to restore (restored in the manifest's order). */
  units: readonly string[];
  /** Target flags (`--target`, `--into`, `--force`...). */
  flags: RestoreFlags;
  /**
   * Take a safety backup of the targets about to be overwritten before touching them; default
   * `true`. `false` is `--no-safety-backup`.
   */
  safetyBackup?: boolean | undefined;
  /**
   * Read every artifact through its checksums (stored and plaintext sha256, decryption) before the
   * target is touched. Default: on when something is overwritten (`--force` over data), and always
   * for engines whose restore is not transactional (`RestoreAdapter.transactional`).
   */
  verifyFirst?: boolean | undefined;
  /** The `--as-of` time that chose the set: the plan warns when the set finished after it. */
  asOf?: Date | undefined;
}

/** Input of {@link planRestore}. */
export interface PlanRestoreInput<TOptions> {
  job: RestoreJob<TOptions>;
  repository: Repository;
  request: RestoreRequest;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
}

/** One artifact a restore reads. */
export interface PlannedArtifact {
  name: string;
  unit: string;
  storedBytes: number;
  plaintextBytes: number;
  /** sha256 of the stored object (what `sha256sum` of the downloaded file prints). */
  storedSha256: string;
  plaintextSha256: string;
  compression: CompressionAlgorithm;
  encrypted: boolean;
}

/** The safety backup a restore takes (or not) before overwriting. */
export interface SafetyBackupPlan {
  /** `take`: before the first overwrite; `skip`: `--no-safety-backup`; `not-needed`: nothing is overwritten. */
  action: 'take' | 'skip' | 'not-needed';
  /** The job it is written to: `<job>-pre-restore`, same repository. */
  job: string;
  /** The targets it backs up (the overwritten ones). */
  targets: string[];
  /** For people. */
  reason: string;
}

/**
 * What a restore will do, computed without changing anything (`--dry-run` prints it): the set, its
 * artifacts with sizes and checksums, the target and what happens to each unit there, the safety
 * backup, whether artifacts are verified first, and the estimated time. JSON-safe, never holds
 * credentials.
 */
export interface RestorePlan {
  job: string;
  setId: string;
  engine: string;
  engineVersion?: string | undefined;
  /** The set's start and finish times (ISO 8601 UTC). */
  set: { startedAt: string; finishedAt: string };
  units: string[];
  artifacts: PlannedArtifact[];
  storedBytes: number;
  plaintextBytes: number;
  target: TargetDescription;
  safetyBackup: SafetyBackupPlan;
  verifyFirst: boolean;
  estimate: RestoreEstimate;
  /** Things to read before saying yes (refusals, no identity, no safety backup...). */
  warnings: string[];
}

/**
 * Plans a restore: checks the set belongs to the job's engine, resolves the units, asks the
 * adapter what the target holds (`describeTarget`: read-only), decides the safety backup and the
 * verify-first pass, and estimates the time (from the job's newest passed drill, else a default
 * rate). Changes nothing anywhere. Throws `CONFIG_INVALID` (engine mismatch, bad flags), `NOT_FOUND`
 * (unknown unit), `RESTORE_FAILED` (target unreachable).
 */
export async function planRestore<TOptions>(input: PlanRestoreInput<TOptions>): Promise<RestorePlan> {
  const { job, repository, request } = input;
  const { manifest } = request;
  const logger = input.logger ?? silentLogger;
  const ctx = { signal: input.signal ?? new AbortController().signal, logger };
  if (manifest.engine.name !== job.engine.name || job.adapter.engine !== job.engine.name) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Set ${manifest.job}/${manifest.id} was made by engine ${manifest.engine.name}; job ${job.name} restores with ${job.engine.name}`,
    );
  }
  const units = unitRecords(manifest, request.units);
  if (units.length === 0) throw new BackupError('CONFIG_INVALID', 'Nothing to restore: no units chosen');
  const options = job.adapter.restoreOptions(request.flags, units);
  const target = await job.adapter.describeTarget(units, options, ctx);
  const names = new Set(units.map((u) => u.name));
  const artifacts: PlannedArtifact[] = manifest.artifacts
    .filter((a) => names.has(a.unit))
    .map((a) => ({
      name: a.name,
      unit: a.unit,
      storedBytes: a.storedBytes,
      plaintextBytes: a.plaintextBytes,
      storedSha256: a.storedSha256,
      plaintextSha256: a.plaintextSha256,
      compression: a.compression.algorithm,
      encrypted: a.encryption !== null,
    }));
  const storedBytes = artifacts.reduce((n, a) => n + a.storedBytes, 0);
  const plaintextBytes = artifacts.reduce((n, a) => n + a.plaintextBytes, 0);
  const overwritten = target.units.filter((u) => u.action === 'overwrite');
  const refused = target.units.filter((u) => u.action === 'refuse');
  const safetyJob = safetyJobName(job.name);
  const safetyBackup: SafetyBackupPlan =
    overwritten.length === 0
      ? { action: 'not-needed', job: safetyJob, targets: [], reason: 'nothing is overwritten' }
      : request.safetyBackup === false
        ? {
            action: 'skip',
            job: safetyJob,
            targets: overwritten.map((u) => u.target),
            reason: 'skipped with --no-safety-backup: the overwritten data cannot be put back by this tool',
          }
        : {
            action: 'take',
            job: safetyJob,
            targets: overwritten.map((u) => u.target),
            reason:
              'the current state of the overwritten targets is backed up first; restoring it undoes this restore',
          };
  const verifyFirst = request.verifyFirst ?? (overwritten.length > 0 || !job.adapter.transactional);
  const drill = await latestPassedDrill(repository.storage, manifest.job).catch((error: unknown) => {
    logger.debug({ err: error }, 'no drill report readable for the estimate');
    return undefined;
  });
  const warnings: string[] = [];
  for (const u of refused) {
    warnings.push(`${u.unit} -> ${u.target}: ${u.detail}; the restore stops before touching anything`);
  }
  if (safetyBackup.action === 'skip') warnings.push(`no safety backup of ${safetyBackup.targets.join(', ')}`);
  if (request.asOf && Date.parse(manifest.finishedAt) > request.asOf.getTime()) {
    warnings.push(
      `set ${manifest.id} finished at ${manifest.finishedAt}, after --as-of ${request.asOf.toISOString()}: ` +
        'units dumped late in the set may hold changes made after that time',
    );
  }
  if (artifacts.some((a) => a.encrypted) && !repository.decryptor) {
    warnings.push(
      'artifacts are encrypted and no identity was given (--identity FILE or BACKUP_AGE_IDENTITY)',
    );
  }
  return {
    job: manifest.job,
    setId: manifest.id,
    engine: manifest.engine.name,
    ...(manifest.engine.version === undefined ? {} : { engineVersion: manifest.engine.version }),
    set: { startedAt: manifest.startedAt, finishedAt: manifest.finishedAt },
    units: units.map((u) => u.name),
    artifacts,
    storedBytes,
    plaintextBytes,
    target,
    safetyBackup,
    verifyFirst,
    estimate: estimateRestore({ storedBytes, plaintextBytes, verifyFirst, drill }),
    warnings,
  };
}

/** The manifest's records of `names`, in manifest order. Throws `NOT_FOUND` for unknown names. */
export function unitRecords(manifest: Manifest, names: readonly string[]): Manifest['units'] {
  const unknown = names.filter((n) => !manifest.units.some((u) => u.name === n));
  if (unknown.length > 0) {
    throw new BackupError(
      'NOT_FOUND',
      `Set ${manifest.job}/${manifest.id} has no unit ${unknown.map((n) => `"${n}"`).join(', ')} ` +
        `(it has: ${manifest.units.map((u) => u.name).join(', ')})`,
    );
  }
  return manifest.units.filter((u) => names.includes(u.name));
}
