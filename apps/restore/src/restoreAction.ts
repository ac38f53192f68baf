import { createStorage, loadConfig } from '@backup/config';
import { BackupError, Catalog, EXIT_CODES } from '@backup/core';
import {
  chooseJob,
  chooseSet,
  chooseUnits,
  confirmationMessage,
  confirmRestore,
  formatRestorePlan,
  formatRestoreReport,
  ProgressLine,
  parseAsOf,
  type RestoreFlags,
  runRestore,
} from '@backup/restore';
import { inquirerPrompter } from './inquirerPrompter.js';
import type { RestoreAppIo } from './RestoreAppIo.js';

import { wireRestoreJob } from './wireRestoreJob.js';

/** Flags of `backup-restore [set]` (see `createRestoreProgram` for their help). */
export interface RestoreAppFlags {
  config?: string | undefined;
  job?: string | undefined;
  asOf?: string | undefined;
  database?: string[] | undefined;
  unit?: string[] | undefined;
  /** Qdrant collections (same as `unit`). */
  collection?: string[] | undefined;
  /** Redis: write the RDB to this file or directory (file placement) instead of restoring over the network. */
  toFile?: string | undefined;
  all?: boolean | undefined;
  target?: string | undefined;
  into?: string | undefined;
  force?: boolean | undefined;
  globals?: boolean | undefined;
  /** `--no-owner` sets it to false. */
  owner?: boolean | undefined;
  /** `--no-safety-backup` sets it to false. */
  safetyBackup?: boolean | undefined;
  /** `--verify-first` / `--no-verify-first`; undefined: the flow's default. */
  verifyFirst?: boolean | undefined;
  identity?: string | undefined;
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  json?: boolean | undefined;
}

/**
 * `backup-restore [set]`: choose (flags, else prompts on a terminal unless `--yes`) -> plan -> dry run
 * or confirm -> verify first, safety backup, restore, checks -> report (text, or `--json`). Resolves
 * with the exit code: 0, or 4 (`VERIFY_FAILED`) when a post-restore check failed. Errors are thrown
 * (the caller's `handleError` sets their exit code).
 */
export async function restoreAction(
  set: string | undefined,
  flags: RestoreAppFlags,
  io: RestoreAppIo,
): Promise<number> {
  const { config } = await loadConfig({ path: flags.config, env: io.env });
  const storage = createStorage(config.storage);
  const catalog = new Catalog(storage);
  const interactive = io.stdin.isTTY === true && io.stderr.isTTY === true && flags.yes !== true;
  const prompter = interactive
    ? inquirerPrompter({ input: io.stdin, output: io.stderr, signal: io.signal })
    : undefined;

  const name = await chooseJob({ jobs: config.jobs.map((j) => j.name), job: flags.job, prompter });
  const wired = await wireRestoreJob({
    config,
    storage,
    catalog,
    name,
    env: io.env,
    identity: flags.identity,
  });
  const manifest = await chooseSet({ catalog, job: name, set, asOf: flags.asOf, prompter });
  const restoreFlags: RestoreFlags = {
    target: flags.target,
    into: flags.into,
    force: flags.force === true,
    globals: flags.globals === true,
    noOwner: flags.owner === false,
    toFile: flags.toFile,
  };
  const units = await chooseUnits({
    manifest,
    units: [...(flags.database ?? []), ...(flags.unit ?? []), ...(flags.collection ?? [])],
    all: flags.all,
    defaults: wired.job.adapter.defaultUnits(manifest, restoreFlags),
    prompter,
  });
  const progress = new ProgressLine(io.stderr);
  const dryRun = flags.dryRun === true;
  const outcome = await runRestore({
    job: wired.job,
    repository: wired.repository,
    request: {
      manifest,
      units,
      flags: restoreFlags,
      safetyBackup: flags.safetyBackup !== false,
      verifyFirst: flags.verifyFirst,
      asOf: flags.asOf === undefined ? undefined : parseAsOf(flags.asOf),
    },
    dryRun,
    logger: io.logger,
    signal: io.signal,
    onPlan: (plan) => {
      if (dryRun && flags.json) return;
      (dryRun ? io.stdout : io.stderr).write(`${formatRestorePlan(plan, { dryRun })}\n`);
    },
    confirm: (plan) => confirmRestore({ yes: flags.yes, prompter, message: confirmationMessage(plan) }),
    onProgress: (event) => progress.update(event),
  }).finally(() => progress.done());

  if (flags.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else if (outcome.report) io.stdout.write(`${formatRestoreReport(outcome.report)}\n`);
  if (outcome.report && !outcome.report.ok) {
    const failed = outcome.report.units
      .filter((u) => !u.check.ok)
      .map((u) => `${u.unit}: ${u.check.summary}`);
    const error = new BackupError('VERIFY_FAILED', `Post-restore checks failed: ${failed.join('; ')}`);
    io.logger.error({ code: error.code }, error.message);
    io.stderr.write(`error [${error.code}]: ${error.message}\n`);
    return EXIT_CODES.VERIFY_FAILED;
  }
  return EXIT_CODES.OK;
}
