import { BackupError } from '@backup/core';
import { assertNoRefusal } from './assertNoRefusal.js';
import { executeRestore, type RestoreReport } from './executeRestore.js';
import { type PlanRestoreInput, planRestore, type RestorePlan } from './planRestore.js';
import type { RestoreProgressEvent } from './RestoreProgressEvent.js';

/** Options of {@link runRestore}. */
export interface RunRestoreOptions<TOptions> extends PlanRestoreInput<TOptions> {
  /** `--dry-run`: plan only; nothing is read beyond manifests and listings, nothing is written. */
  dryRun?: boolean | undefined;
  /** Called with the plan before confirmation (apps print it). */
  onPlan?: ((plan: RestorePlan) => void | Promise<void>) | undefined;
  /**
   * Asks whether to go on (apps use `confirmRestore`: `--yes` or a prompt); default: go on.
   * Answering no stops with `ABORTED`.
   */
  confirm?: ((plan: RestorePlan) => Promise<boolean>) | undefined;
  clock?: (() => Date) | undefined;
  onProgress?: ((event: RestoreProgressEvent) => void) | undefined;
}

/** Result of {@link runRestore}: the plan, and the report unless it was a dry run. */
export interface RestoreOutcome {
  plan: RestorePlan;
  dryRun: boolean;
  report?: RestoreReport | undefined;
}

/**
 * The restore flow shared by `backup-restore`, `backup restore` and the drills' building blocks:
 * plan (`planRestore`) -> show (`onPlan`) -> stop for `--dry-run` -> refuse non-empty targets
 * without `--force` (`TARGET_NOT_EMPTY`, before asking) -> confirm -> execute (`executeRestore`:
 * verify first, safety backup, restore, checks). Throws the first failure's `BackupError`; `ABORTED`
 * when the confirmation is declined.
 */
export async function runRestore<TOptions>(options: RunRestoreOptions<TOptions>): Promise<RestoreOutcome> {
  const plan = await planRestore(options);
  await options.onPlan?.(plan);
  if (options.dryRun) return { plan, dryRun: true };
  assertNoRefusal(plan);
  if (options.confirm && !(await options.confirm(plan))) {
    throw new BackupError('ABORTED', 'Restore cancelled at the confirmation prompt');
  }
  const report = await executeRestore({ ...options, plan });
  return { plan, dryRun: false, report };
}

/** The confirmation question for a plan: `Restore 2 units of postgresql/20260121-020000 to db:5432, OVERWRITING outline?`. */
export function confirmationMessage(plan: RestorePlan): string {
  const overwritten = plan.target.units.filter((u) => u.action === 'overwrite').map((u) => u.target);
  return (
    `Restore ${plan.units.length} unit(s) of ${plan.job}/${plan.setId} to ${plan.target.server}` +
    (overwritten.length > 0 ? `, OVERWRITING ${overwritten.join(', ')}?` : '?')
  );
}
