import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BackupError } from '@backup/core';
import type { Registry } from 'prom-client';
import { renderMetrics } from './renderMetrics.js';

/** Options of {@link writeTextfile}. */
export interface WriteTextfileOptions {
  /**
   * Target file, must end in `.prom`, inside node-exporter's `--collector.textfile.directory`
   * (e.g. `/var/lib/node_exporter/textfile/backup-postgresql.prom`). The directory must exist.
   * Use one file per job when several processes write: each write replaces the whole file.
   */
  path: string;
  /** Registry to write (e.g. `BackupMetrics.registry`). */
  registry: Registry;
  /** Write only this job's series (see `renderMetrics`); default every series. */
  job?: string | undefined;
}

/** Result of {@link writeTextfile}. */
export interface WriteTextfileResult {
  /** Absolute path written. */
  path: string;
  /** Number of samples written. */
  samples: number;
}

const CONFIG_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EISDIR']);

/**
 * Writes the registry for node-exporter's textfile collector, in Prometheus text format 0.0.4,
 * atomically: the text goes to a hidden temporary file in the same directory (named
 * `.<file>.<random>.tmp`, which the collector ignores as it reads only `*.prom`), is fsynced, then
 * renamed over `path`, so a scrape never sees a partial file. On failure the temporary file is removed.
 *
 * Note: the series carry their own `job` label; a Prometheus scrape of node-exporter without
 * `honor_labels: true` renames it to `exported_job`.
 *
 * Errors (`BackupError`): `CONFIG_INVALID` when `path` does not end in `.prom`, or its directory
 * is missing or not writable (`ENOENT`, `ENOTDIR`, `EACCES`, `EPERM`, `EROFS`, `EISDIR`);
 * `SOURCE_FAILED` for other I/O errors (e.g. `ENOSPC`; core has no metrics-specific code). Both
 * name the path, with the system error as `cause`.
 */
export async function writeTextfile(options: WriteTextfileOptions): Promise<WriteTextfileResult> {
  if (
    typeof options.path !== 'string' ||
    !options.path.endsWith('.prom') ||
    basename(options.path) === '.prom'
  ) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Textfile path ${JSON.stringify(options.path)} must name a file ending in .prom ` +
        '(node-exporter reads only *.prom files)',
    );
  }
  const path = resolve(options.path);
  const { text, samples } = await renderMetrics({ registry: options.registry, job: options.job });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupError(
      code && CONFIG_ERRORS.has(code) ? 'CONFIG_INVALID' : 'SOURCE_FAILED',
      `Cannot write metrics textfile ${path}: ${(error as Error).message}`,
      { cause: error, details: { path } },
    );
  }
  return { path, samples };
}
