import { BackupError } from '@backup/core';
import {
  chooseSet,
  chooseUnits,
  confirmationMessage,
  formatRestorePlan,
  formatRestoreReport,
  ProgressLine,
  parseAsOf,
  runRestore,
  type RestoreFlags as TargetFlags,
} from '@backup/restore';
import type { CliContext } from '../CliContext.js';
import { confirm } from '../output/confirm.js';
import { wireRestoreJob } from './wireRestoreJob.js';

/** Flags of `backup restore`. */
export interface RestoreFlags {
  /** Job name; required (`CONFIG_INVALID` without it), except with `--pitr`. */
  job?: string;
  /** Databases (units) to restore; default the adapter's default units of the set. */
  database?: string[];
  /** Units to restore, any engine (`--unit`, same as `--database`). */
  unit?: string[];
  /** Qdrant collections to restore (`--collection`, same as `--unit`). */
  collection?: string[];
  /** Redis: write the RDB to this file or directory instead of restoring over the network. */
  toFile?: string;
  /** Target server URL; default the job's own connection. */
  target?: string;
  /** New database name (only with exactly one database). */
  into?: string;
  /** Allow restoring over a non-empty database (`pg_restore --clean --if-exists`), after a safety backup. */
  force?: boolean;
  /** Also restore roles and tablespaces (the `globals` unit). */
  globals?: boolean;
  /** `--no-owner` sets it to false (`pg_restore --no-owner`). */
  owner?: boolean;
  /** age identity file (or the key itself); default `BACKUP_AGE_IDENTITY`. */
  identity?: string;
  /** The newest complete set started at or before this time, instead of `<set>`. */
  asOf?: string;
  /** Print the plan, change nothing. */
  dryRun?: boolean;
  /** `--no-safety-backup` sets it to false. */
  safetyBackup?: boolean;
  /** `--verify-first` / `--no-verify-first`; undefined: on when overwriting. */
  verifyFirst?: boolean;
  /** Skip the confirmation prompt (required when not on a TTY). */
  yes?: boolean;
  json?: boolean;
}

/**
 * `backup restore [<set-id>|latest] --job NAME [--as-of TIME] [--database|--unit|--collection NAME]...
 * [--target URL] [--into NAME] [--force] [--globals] [--no-owner] [--to-file PATH] [--no-safety-backup]
 * [--dry-run] [--yes] [--json]`, any engine with a restore adapter (PostgreSQL, Redis, Qdrant, Neo4j):
 * the restore flow of `@backup/restore` (the one `backup-restore` runs), non-interactive except the
 * confirmation: plan (printed; the result with `--dry-run`), refusal of non-empty targets without
 * `--force` (`TARGET_NOT_EMPTY`, exit 6), confirmation (`--yes` off a terminal), verify first and a
 * safety backup into `<job>-pre-restore` before overwriting, streamed restore with checksums,
 * post-restore checks against the counts recorded at backup time (`VERIFY_FAILED`, exit 4, when they
 * differ), report.
 */
export async function restoreCommand(
  ctx: CliContext & { stdin: NodeJS.ReadStream },
  ref: string | undefined,
  flags: RestoreFlags,
): Promise<void> {
  if (flags.job === undefined) {
    throw new BackupError(
      'CONFIG_INVALID',
      `backup restore needs --job NAME (configured: ${ctx.config.jobs.map((j) => j.name).join(', ')})`,
    );
  }
  const { job, repository } = await wireRestoreJob(ctx, flags.job, flags.identity);
  const manifest = await chooseSet({ catalog: ctx.catalog, job: flags.job, set: ref, asOf: flags.asOf });
  const targetFlags: TargetFlags = {
    target: flags.target,
    into: flags.into,
    force: flags.force === true,
    globals: flags.globals === true,
    noOwner: flags.owner === false,
    toFile: flags.toFile,
  };
  const named = [...(flags.database ?? []), ...(flags.unit ?? []), ...(flags.collection ?? [])];
  const units = await chooseUnits({
    manifest,
    units: named.length === 0 ? undefined : named,
    defaults: job.adapter.defaultUnits(manifest, targetFlags),
  });
  const dryRun = flags.dryRun === true;
  const progress = new ProgressLine(ctx.stderr);
  const outcome = await runRestore({
    job,
    repository,
    request: {
      manifest,
      units,
      flags: targetFlags,
      safetyBackup: flags.safetyBackup !== false,
      verifyFirst: flags.verifyFirst,
      asOf: flags.asOf === undefined ? undefined : parseAsOf(flags.asOf),
    },
    dryRun,
    logger: ctx.logger,
    signal: ctx.signal,
    onPlan: (plan) => {
      if (dryRun && flags.json) return;
      (dryRun ? ctx.stdout : ctx.stderr).write(`${formatRestorePlan(plan, { dryRun })}\n`);
    },
    confirm: async (plan) =>
      flags.yes === true || confirm(confirmationMessage(plan), { stdin: ctx.stdin, stderr: ctx.stderr }),
    onProgress: (event) => progress.update(event),
  }).finally(() => progress.done());

  const { report } = outcome;
  if (flags.json) {
    const results = report?.units.map((u) => ({ unit: u.unit, target: u.target, metadata: u.metadata }));
    ctx.stdout.write(
      `${JSON.stringify({ job: manifest.job, setId: manifest.id, results, ...outcome }, null, 2)}\n`,
    );
  } else if (report) {
    ctx.stdout.write(`${formatRestoreReport(report)}\n`);
  }
  if (report && !report.ok) {
    const failed = report.units.filter((u) => !u.check.ok).map((u) => `${u.unit}: ${u.check.summary}`);
    throw new BackupError('VERIFY_FAILED', `Post-restore checks failed: ${failed.join('; ')}`);
  }
}
