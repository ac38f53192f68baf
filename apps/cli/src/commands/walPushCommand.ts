import { createEncryptor, type JobConfig, selectJobs } from '@backup/config';
import { BackupError, resolveCompression } from '@backup/core';
import { type PushWalFileResult, pushWalFile } from '@backup/postgres';
import type { CliContext } from '../CliContext.js';

/**
 * The job WAL commands work on: `--job NAME` when given (it must be a `postgres` job with
 * `mode: physical`), else the config's only physical PostgreSQL job.
 * @throws BackupError `CONFIG_INVALID` for an unknown or non-physical job, or when `--job` is
 *   needed to choose among several physical jobs (or there is none).
 */
export function resolveWalJob(ctx: CliContext, name: string | undefined): JobConfig {
  const physical = (job: JobConfig) => job.engine === 'postgres' && job.mode === 'physical';
  if (name !== undefined) {
    const job = ctx.job(name);
    if (!physical(job)) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Job ${name} is not a physical PostgreSQL job: WAL archiving needs engine: postgres with mode: physical (WAL is pruned with its base backups)`,
      );
    }
    return job;
  }
  const candidates = selectJobs(ctx.config).filter(physical);
  if (candidates.length !== 1) {
    throw new BackupError(
      'CONFIG_INVALID',
      candidates.length === 0
        ? `${ctx.configPath} has no job with engine: postgres and mode: physical`
        : `Several physical PostgreSQL jobs (${candidates.map((j) => j.name).join(', ')}): pass --job NAME`,
    );
  }
  return candidates[0]!;
}

/**
 * `backup wal-push <path> [--job NAME]`, PostgreSQL's `archive_command` (`backup wal-push %p`):
 * compresses (the job's compression), encrypts (the config's `encryption:`) and stores one WAL
 * file under `<job>/wal/<timeline>/` with `pushWalFile`: exit 0 only once it is durably stored or
 * an identical copy already was; a different file under the same name is refused
 * (`STORAGE_CONFLICT`, exit 8) and never overwritten. PostgreSQL retries a failed push until it
 * succeeds (protocols.md 6.1). `<path>` is relative to the data directory, the archiver's working
 * directory. Segments, `.partial`, `.backup` and `.history` files are accepted.
 */
export async function walPushCommand(
  ctx: CliContext,
  path: string,
  options: { job?: string | undefined },
): Promise<PushWalFileResult> {
  const job = resolveWalJob(ctx, options.job);
  return pushWalFile({
    storage: ctx.storage,
    job: job.name,
    path,
    compression: resolveCompression(job.compression ?? ctx.config.compression),
    encryptor: createEncryptor(ctx.config.encryption),
    logger: ctx.logger,
  });
}
