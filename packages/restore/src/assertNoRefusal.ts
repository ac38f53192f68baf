import { BackupError } from '@backup/core';
import type { RestorePlan } from './planRestore.js';

/**
 * Throws `TARGET_NOT_EMPTY` (exit 6) naming the targets, the server and `--force` when the plan
 * refuses a unit (a non-empty target without `--force`), before anything is read or written.
 */
export function assertNoRefusal(plan: RestorePlan): void {
  const refused = plan.target.units.filter((u) => u.action === 'refuse');
  if (refused.length === 0) return;
  throw new BackupError(
    'TARGET_NOT_EMPTY',
    `${refused.map((u) => `"${u.target}" (${u.detail})`).join(', ')} on ${plan.target.server}: ` +
      'pass --force to overwrite (a safety backup is taken first), or restore elsewhere with --into / --target',
    { details: { targets: refused.map((u) => u.target), server: plan.target.server } },
  );
}
