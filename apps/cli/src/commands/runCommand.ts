import { createEncryptor, createEngine, selectJobs } from '@backup/config';
import { acquireJobLock, BackupError, type JobLock, resolveCompression, runBackup } from '@backup/core';
import type { CliContext } from '../CliContext.js';
import { formatBytes } from '../output/formatBytes.js';
import { Progress } from '../output/Progress.js';

/** Result of one job in `backup run`. */
export interface JobOutcome {
  job: string;
  ok: boolean;
  setId?: string | undefined;
  storedBytes?: number | undefined;
  durationMs: number;
  error?: { code: string; message: string } | undefined;
}

/**
 * `backup run [--job NAME]...`: runs the named jobs (all by default) one after another, each
 * holding the job's lock (one writer per job: `LOCKED` when another run holds it) and encrypting
 * when the config has `encryption:`, printing a summary line per job. Throws the first job's error (for the exit code) after ALL jobs ran, so
 * one failing job does not skip the others.
 */
export async function runCommand(
  ctx: CliContext,
  options: { job?: string[]; json?: boolean },
): Promise<JobOutcome[]> {
  const jobs = selectJobs(ctx.config, options.job ?? []);
  const outcomes: JobOutcome[] = [];
  let firstError: BackupError | undefined;
  const encryptor = createEncryptor(ctx.config.encryption);
  for (const job of jobs) {
    const started = Date.now();
    const progress = new Progress(ctx.stderr);
    let lock: JobLock | undefined;
    try {
      lock = await acquireJobLock({ storage: ctx.storage, job: job.name, owner: 'backup run' });
      const manifest = await runBackup({
        encryptor,
        job: job.name,
        engine: createEngine(job, ctx.env),
        storage: ctx.storage,
        compression: resolveCompression(job.compression ?? ctx.config.compression),
        logger: ctx.logger,
        signal: ctx.signal,
        onProgress: (name, bytes) => progress.update(name, bytes),
      });
      progress.done();
      const storedBytes = manifest.artifacts.reduce((n, a) => n + a.storedBytes, 0);
      outcomes.push({
        job: job.name,
        ok: true,
        setId: manifest.id,
        storedBytes,
        durationMs: Date.now() - started,
      });
    } catch (error) {
      progress.done();
      const e =
        error instanceof BackupError ? error : new BackupError('INTERNAL', String(error), { cause: error });
      firstError ??= e;
      outcomes.push({
        job: job.name,
        ok: false,
        durationMs: Date.now() - started,
        error: { code: e.code, message: e.message },
      });
      if (e.code === 'ABORTED') break;
    } finally {
      await lock
        ?.release()
        .catch((error: unknown) =>
          ctx.logger.warn({ job: job.name, err: error }, 'could not release the lock'),
        );
    }
  }
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
  } else {
    for (const o of outcomes) {
      const seconds = (o.durationMs / 1000).toFixed(1);
      ctx.stdout.write(
        o.ok
          ? `ok      ${o.job}  set ${o.setId}  ${formatBytes(o.storedBytes ?? 0)}  ${seconds}s\n`
          : `FAILED  ${o.job}  [${o.error?.code}] ${o.error?.message}  ${seconds}s\n`,
      );
    }
  }
  if (firstError) throw firstError;
  return outcomes;
}
