import { createEngine, resolveRetention, selectJobs } from '@backup/config';
import { acquireJobLock, executePrune, type PruneResult, planPrune } from '@backup/core';
import type { CliContext } from '../CliContext.js';
import { formatBytes } from '../output/formatBytes.js';

/**
 * `backup prune [--job NAME]... [--dry-run] [--json]`: applies each job's retention policy (restic
 * `forget` semantics; default 7 daily / 4 weekly / 12 monthly) and deletes the sets it removes,
 * manifest first, plus incomplete sets older than 24 h. Holds the job's lock while deleting
 * (`LOCKED`, exit 5, when a backup of the job is running). Never removes the newest complete set.
 * `--dry-run` prints the plan and deletes nothing. Engines with `pruneExtra` then prune what follows
 * the kept sets (physical PostgreSQL: archived WAL older than the oldest kept base backup); its
 * counts are added to the job's result.
 */
export async function pruneCommand(
  ctx: CliContext,
  options: { job?: string[]; dryRun?: boolean; json?: boolean },
): Promise<PruneResult[]> {
  const results: PruneResult[] = [];
  const plans = [];
  for (const job of selectJobs(ctx.config, options.job ?? [])) {
    const lock = options.dryRun
      ? undefined
      : await acquireJobLock({ storage: ctx.storage, job: job.name, owner: 'backup prune' });
    try {
      const plan = await planPrune({
        catalog: ctx.catalog,
        job: job.name,
        policy: resolveRetention(ctx.config, job),
      });
      const result = await executePrune({ storage: ctx.storage, plan, dryRun: options.dryRun === true });
      const engine = createEngine(job, ctx.env);
      if (engine.pruneExtra) {
        // Objects outside the sets that follow them, e.g. archived WAL of a physical PostgreSQL job.
        const keep = await Promise.all(plan.keep.map((k) => ctx.catalog.readManifest(job.name, k.backup.id)));
        const extra = await engine.pruneExtra(
          { storage: ctx.storage, job: job.name, keep, dryRun: result.dryRun },
          { signal: ctx.signal, logger: ctx.logger },
        );
        result.deletedObjects += extra.deletedObjects;
        result.freedBytes += extra.freedBytes;
      }
      plans.push(plan);
      results.push(result);
      ctx.logger.info({ ...result }, options.dryRun ? 'prune planned (dry run)' : 'prune done');
    } finally {
      await lock?.release();
    }
  }
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return results;
  }
  for (const [i, plan] of plans.entries()) {
    const result = results[i]!;
    const verb = result.dryRun ? 'would remove' : 'removed';
    ctx.stdout.write(
      `${plan.job}: keep ${plan.keep.length}, ${verb} ${plan.remove.length} set(s) and ${plan.incomplete.length} incomplete set(s), ${formatBytes(result.freedBytes)}\n`,
    );
    for (const k of plan.keep) ctx.stdout.write(`  keep    ${k.backup.id}  ${k.reasons.join(', ')}\n`);
    for (const r of plan.remove) ctx.stdout.write(`  ${result.dryRun ? 'remove' : 'removed'}  ${r.id}\n`);
    for (const r of plan.incomplete)
      ctx.stdout.write(`  ${result.dryRun ? 'remove' : 'removed'}  ${r.id}  (incomplete)\n`);
  }
  return results;
}
