import { createDecryptor } from '@backup/config';
import { BackupError } from '@backup/core';
import { type FetchWalFileResult, fetchWalFile } from '@backup/postgres';
import type { CliContext } from '../CliContext.js';
import { resolveWalJob } from './walPushCommand.js';

/**
 * `backup wal-fetch <file> <destination> [--job NAME] [--identity FILE]`, PostgreSQL's
 * `restore_command` (`backup wal-fetch %f %p`): restores one archived WAL file with size and
 * sha256 checks into `<destination>` (written to a temporary name, renamed when complete) with
 * `fetchWalFile`. Resolves `missing` when the archive does not have the file: the caller exits 1
 * (PostgreSQL asks for files that do not exist and needs a non-zero status below 126 for them;
 * protocols.md 6.1). Encrypted archives need `--identity FILE` or `BACKUP_AGE_IDENTITY` in the
 * server's environment. Storage errors are retried for `--retry-seconds` (default 60) before the
 * call fails; the caller turns a failure into a fatal exit status (createProgram).
 * @throws BackupError `CONFIG_INVALID` (bad `--retry-seconds`, job), and what `fetchWalFile` throws.
 */
export async function walFetchCommand(
  ctx: CliContext,
  name: string,
  destination: string,
  options: {
    job?: string | undefined;
    identity?: string | undefined;
    /** `--retry-seconds S`: how long storage errors are retried (default 60; a number >= 0). */
    retrySeconds?: string | undefined;
  },
): Promise<FetchWalFileResult> {
  const job = resolveWalJob(ctx, options.job);
  const retrySeconds = Number(options.retrySeconds ?? 60);
  if (!/^\d+(\.\d+)?$/.test(options.retrySeconds ?? '60') || !Number.isFinite(retrySeconds)) {
    throw new BackupError(
      'CONFIG_INVALID',
      `--retry-seconds must be a number of seconds >= 0, got "${options.retrySeconds}"`,
      { details: { field: 'retry-seconds' } },
    );
  }
  return fetchWalFile({
    storage: ctx.storage,
    job: job.name,
    name,
    destination,
    decryptor: await createDecryptor({
      identityFile: options.identity,
      env: ctx.env,
      encryption: ctx.config.encryption,
    }),
    logger: ctx.logger,
    retryForMs: retrySeconds * 1000,
    signal: ctx.signal,
  });
}
