import { createDecryptor, createEngine } from '@backup/config';
import { BackupError, restoreBackup } from '@backup/core';
import type { CliContext } from '../CliContext.js';
import { confirm } from '../output/confirm.js';
import { formatBytes } from '../output/formatBytes.js';
import { Progress } from '../output/Progress.js';
import { redactUrl } from '../output/redactUrl.js';

/** Flags of `backup restore`. */
export interface RestoreFlags {
  job: string;
  /** Databases (units) to restore; default all databases of the set. */
  database?: string[];
  /** Target server URL; default the job's own connection. */
  target?: string;
  /** New database name (only with exactly one database). */
  into?: string;
  /** Allow restoring over a non-empty database (`pg_restore --clean --if-exists`). */
  force?: boolean;
  /** Also restore roles and tablespaces (the `globals` unit). */
  globals?: boolean;
  /** age identity file (or the key itself); default `BACKUP_AGE_IDENTITY`. */
  identity?: string;
  /** Skip the confirmation prompt (required when not on a TTY). */
  yes?: boolean;
  json?: boolean;
}

/**
 * `backup restore <set-id|latest> --job NAME [--database NAME]... [--target URL] [--into NAME]
 * [--force] [--globals] [--yes]`: shows the plan, asks for confirmation, then restores each unit
 * streaming from storage with checksum verification. Refuses a non-empty target database unless
 * `--force` (`TARGET_NOT_EMPTY`, exit 6).
 */
export async function restoreCommand(
  ctx: CliContext & { stdin: NodeJS.ReadStream },
  ref: string,
  flags: RestoreFlags,
): Promise<void> {
  const job = ctx.job(flags.job);
  const manifest = await ctx.catalog.resolve(job.name, ref);
  const databases = manifest.units.filter((u) => u.kind === 'database').map((u) => u.name);
  const chosen = flags.database && flags.database.length > 0 ? flags.database : databases;
  const units = [...(flags.globals ? ['globals'] : []), ...chosen];
  if (flags.into !== undefined && chosen.length !== 1) {
    throw new BackupError(
      'CONFIG_INVALID',
      `--into needs exactly one --database (the set has: ${databases.join(', ')})`,
    );
  }
  const target = flags.target ?? job.url;
  const bytes = manifest.artifacts
    .filter((a) => units.includes(a.unit))
    .reduce((n, a) => n + a.storedBytes, 0);
  const plan = [
    `Restore ${manifest.job}/${manifest.id} (${manifest.engine.name} ${manifest.engine.version ?? ''}, ${formatBytes(bytes)})`,
    ...units.map((u) => `  ${u}${u !== 'globals' && flags.into ? ` -> ${flags.into}` : ''}`),
    `  target: ${target ? redactUrl(target) : 'the libpq environment (PGHOST...)'}`,
    `  mode: ${flags.force ? 'OVERWRITE existing objects (--clean --if-exists)' : 'refuse non-empty databases'}`,
  ].join('\n');
  ctx.stderr.write(`${plan}\n`);
  if (!flags.yes && !(await confirm('Proceed?', { stdin: ctx.stdin, stderr: ctx.stderr }))) {
    throw new BackupError('ABORTED', 'Restore cancelled at the confirmation prompt');
  }
  const progress = new Progress(ctx.stderr);
  const results = await restoreBackup({
    catalog: ctx.catalog,
    manifest,
    engine: createEngine(job, ctx.env),
    units,
    options: {
      ...(flags.target === undefined ? {} : { targetUrl: flags.target }),
      ...(flags.into === undefined ? {} : { into: flags.into }),
      force: flags.force === true,
      globals: flags.globals === true,
    },
    decryptor: await createDecryptor({
      identityFile: flags.identity,
      env: ctx.env,
      encryption: ctx.config.encryption,
    }),
    logger: ctx.logger,
    signal: ctx.signal,
    onProgress: (name, n) => progress.update(name, n),
  }).finally(() => progress.done());
  if (flags.json) {
    ctx.stdout.write(`${JSON.stringify({ job: manifest.job, setId: manifest.id, results }, null, 2)}\n`);
    return;
  }
  for (const r of results) ctx.stdout.write(`restored  ${r.unit} -> ${r.target}\n`);
}
