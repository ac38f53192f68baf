import type { BackupSetListing } from '@backup/core';
import type { CliContext } from '../CliContext.js';
import { formatBytes } from '../output/formatBytes.js';
import { formatTable } from '../output/formatTable.js';

/**
 * `backup list [--job NAME] [--all] [--json]`: complete backup sets per job, newest first.
 * `--all` also shows incomplete sets (no manifest: never restorable), marked as such.
 */
export async function listCommand(
  ctx: CliContext,
  options: { job?: string; all?: boolean; json?: boolean },
): Promise<void> {
  const jobs = options.job ? [ctx.job(options.job).name] : ctx.config.jobs.map((j) => j.name);
  const rows: Array<BackupSetListing & { status: 'complete' | 'incomplete' }> = [];
  for (const job of jobs) {
    for (const set of await ctx.catalog.listSets(job)) {
      if (!set.complete && !options.all) continue;
      rows.push({ ...set, status: set.complete ? 'complete' : 'incomplete' });
    }
  }
  if (options.json) {
    const out = rows.map((r) => ({
      job: r.job,
      id: r.id,
      time: r.time.toISOString(),
      status: r.status,
      objects: r.objects,
      bytes: r.bytes,
    }));
    ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    ctx.stdout.write(`No backup sets for ${jobs.join(', ')} in ${ctx.storage.description}\n`);
    return;
  }
  ctx.stdout.write(
    `${formatTable(
      ['JOB', 'SET', 'TIME (UTC)', 'OBJECTS', 'SIZE', 'STATUS'],
      rows.map((r) => [
        r.job,
        r.id,
        r.time.toISOString().replace('T', ' ').slice(0, 19),
        String(r.objects),
        formatBytes(r.bytes),
        r.status,
      ]),
    )}\n`,
  );
}
