import { createDecryptor } from '@backup/config';
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
 * server's environment.
 */
export async function walFetchCommand(
  ctx: CliContext,
  name: string,
  destination: string,
  options: { job?: string | undefined; identity?: string | undefined },
): Promise<FetchWalFileResult> {
  const job = resolveWalJob(ctx, options.job);
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
    signal: ctx.signal,
  });
}
