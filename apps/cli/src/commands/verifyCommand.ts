import { createDecryptor, createEngine } from '@backup/config';
import { BackupError, verifyBackup } from '@backup/core';
import type { CliContext } from '../CliContext.js';

/**
 * `backup verify <set-id|latest> --job NAME`: checks every artifact's stored size and sha256,
 * then (deep) decompresses, checks the plaintext sha256 and runs the engine's structural check
 * (PostgreSQL: `pg_restore --list`). Encrypted artifacts are checked deep only with an identity
 * (`--identity FILE` or `BACKUP_AGE_IDENTITY`), else at the checksum level. `--quick` checks stored
 * bytes only. Throws
 * `CHECKSUM_MISMATCH`/`VERIFY_FAILED` (exit 4) when any artifact fails.
 */
export async function verifyCommand(
  ctx: CliContext,
  ref: string,
  options: { job: string; quick?: boolean; json?: boolean; identity?: string },
): Promise<void> {
  const job = ctx.job(options.job);
  const manifest = await ctx.catalog.resolve(job.name, ref);
  const report = await verifyBackup({
    catalog: ctx.catalog,
    manifest,
    engine: options.quick ? undefined : createEngine(job, ctx.env),
    decryptor: options.quick
      ? undefined
      : await createDecryptor({
          identityFile: options.identity,
          env: ctx.env,
          encryption: ctx.config.encryption,
        }),
    logger: ctx.logger,
    signal: ctx.signal,
  });
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const a of report.artifacts) {
      ctx.stdout.write(
        a.ok
          ? `ok      ${a.name}  (${a.level})\n`
          : `FAILED  ${a.name}  [${a.error?.code}] ${a.error?.message}\n`,
      );
    }
    ctx.stdout.write(`${report.ok ? 'verified' : 'VERIFY FAILED'}: ${manifest.job}/${manifest.id}\n`);
  }
  if (!report.ok) {
    const failed = report.artifacts.filter((a) => !a.ok);
    const code = failed.some((a) => a.error?.code === 'CHECKSUM_MISMATCH')
      ? 'CHECKSUM_MISMATCH'
      : 'VERIFY_FAILED';
    throw new BackupError(
      code,
      `${failed.length} artifact(s) of ${manifest.job}/${manifest.id} failed verification`,
    );
  }
}
