import type { BackupSetListing } from '../catalog/Catalog.js';
import { BackupError } from '../errors.js';
import { backupChannels, type PruneEvent } from '../events.js';
import { manifestKey, setPrefix } from '../set/layout.js';
import type { StorageBackend } from '../storage/StorageBackend.js';
import type { PrunePlan } from './planPrune.js';

/** Keys per `StorageBackend.delete` call (S3 `DeleteObjects` accepts at most 1000). */
const DELETE_BATCH = 1000;

/** Options of {@link executePrune}. */
export interface ExecutePruneOptions {
  /** The storage the plan's catalog read. */
  storage: StorageBackend;
  /** From `planPrune`. */
  plan: PrunePlan;
  /** When true, deletes nothing and reports what would be deleted (from the plan's listings). Default false. */
  dryRun?: boolean | undefined;
}

/** Result of {@link executePrune}. With `dryRun`, the counts say what a real run would delete. */
export interface PruneResult {
  job: string;
  dryRun: boolean;
  /** Ids of the complete sets removed, newest first. */
  removedSetIds: string[];
  /** Ids of the incomplete sets removed, newest first. */
  removedIncompleteSetIds: string[];
  /** Number of complete sets kept. */
  keptSets: number;
  /** Objects deleted (manifests included). */
  deletedObjects: number;
  /** Stored bytes freed. */
  freedBytes: number;
}

/**
 * Deletes what a {@link PrunePlan} removes. For each complete set to remove (newest first) it deletes
 * `manifest.json` FIRST, in its own `delete` call, so a set interrupted half-way is never listed as
 * restorable (it becomes an incomplete set a later prune cleans up), then every other object under
 * the set's prefix (listed at that moment). Then it deletes every object of the plan's incomplete
 * sets. With `dryRun` nothing is deleted or listed; counts come from the plan's listings.
 *
 * After a real run it publishes a {@link PruneEvent} on `backupChannels.prune` (`backup:prune`),
 * never for a dry run. Prune must not run after a failed backup of the job: the caller enforces that.
 *
 * @throws BackupError `INTERNAL` for an inconsistent plan (a set of another job, a set both kept and
 *   removed, or removals that would keep no complete set); storage errors (`STORAGE_UNREACHABLE`)
 *   from `list`/`delete`. Sets already processed stay deleted.
 */
export async function executePrune(options: ExecutePruneOptions): Promise<PruneResult> {
  const { storage, plan } = options;
  const dryRun = options.dryRun ?? false;
  checkPlan(plan);
  const result: PruneResult = {
    job: plan.job,
    dryRun,
    removedSetIds: [],
    removedIncompleteSetIds: [],
    keptSets: plan.keep.length,
    deletedObjects: 0,
    freedBytes: 0,
  };

  for (const set of plan.remove) {
    if (dryRun) {
      count(result, set);
    } else {
      const manifest = manifestKey(set.job, set.id);
      const objects = await listSet(storage, set);
      await storage.delete([manifest]);
      const rest = objects.filter((o) => o.key !== manifest);
      await deleteInBatches(
        storage,
        rest.map((o) => o.key),
      );
      result.deletedObjects += objects.length;
      for (const o of objects) result.freedBytes += o.size;
    }
    result.removedSetIds.push(set.id);
  }

  for (const set of plan.incomplete) {
    if (dryRun) {
      count(result, set);
    } else {
      const objects = await listSet(storage, set);
      await deleteInBatches(
        storage,
        objects.map((o) => o.key),
      );
      result.deletedObjects += objects.length;
      for (const o of objects) result.freedBytes += o.size;
    }
    result.removedIncompleteSetIds.push(set.id);
  }

  if (!dryRun && backupChannels.prune.hasSubscribers) {
    const event: PruneEvent = {
      job: plan.job,
      removedSets: result.removedSetIds.length,
      keptSets: result.keptSets,
      removedIncompleteSets: result.removedIncompleteSetIds.length,
      deletedObjects: result.deletedObjects,
      freedBytes: result.freedBytes,
      time: Date.now(),
    };
    backupChannels.prune.publish(event);
  }
  return result;
}

function checkPlan(plan: PrunePlan): void {
  const kept = new Set(plan.keep.map((k) => k.backup.id));
  for (const set of [...plan.remove, ...plan.incomplete, ...plan.keep.map((k) => k.backup)]) {
    if (set.job !== plan.job) {
      throw new BackupError('INTERNAL', `Prune plan for job ${plan.job} contains set ${set.job}/${set.id}`);
    }
  }
  for (const set of [...plan.remove, ...plan.incomplete]) {
    if (kept.has(set.id)) {
      throw new BackupError('INTERNAL', `Prune plan both keeps and removes set ${plan.job}/${set.id}`);
    }
  }
  if (plan.remove.length > 0 && plan.keep.length === 0) {
    throw new BackupError('INTERNAL', `Refusing to delete every complete backup set of job ${plan.job}`);
  }
}

function count(result: PruneResult, set: BackupSetListing): void {
  result.deletedObjects += set.objects;
  result.freedBytes += set.bytes;
}

async function listSet(storage: StorageBackend, set: BackupSetListing) {
  const objects: Array<{ key: string; size: number }> = [];
  for await (const object of storage.list(setPrefix(set.job, set.id))) {
    objects.push({ key: object.key, size: object.size });
  }
  return objects;
}

async function deleteInBatches(storage: StorageBackend, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    await storage.delete(keys.slice(i, i + DELETE_BATCH));
  }
}
