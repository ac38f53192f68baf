import { type Logger, type Manifest, type StorageBackend, silentLogger } from '@backup/core';
import { baseBackupInfo } from '../physical/baseBackupInfo.js';
import { listArchivedWal } from './listArchivedWal.js';

/** Keys per `StorageBackend.delete` call (S3 `DeleteObjects` accepts at most 1000). */
const DELETE_BATCH = 1000;

/** Options of {@link pruneWal}. */
export interface PruneWalOptions {
  storage: StorageBackend;
  job: string;
  /** Manifests of the sets the retention policy keeps (logical sets among them are ignored). */
  keep: Manifest[];
  /** Count only, delete nothing. */
  dryRun: boolean;
  logger?: Logger | undefined;
}

/** What {@link pruneWal} deleted (or would delete with `dryRun`). */
export interface PruneWalResult {
  deletedObjects: number;
  freedBytes: number;
  /** WAL file names removed, in name order. */
  removed: string[];
  /**
   * The 16 hex digits (log and segment number) of the oldest kept base backup's start WAL file:
   * files before it are removed; `undefined` when no base backup is kept (nothing is removed).
   */
  cutoff: string | undefined;
}

/**
 * WAL retention that follows the base backups: removes every archived segment, partial segment and
 * `.backup` file whose position (log and segment number) is before the start WAL file of the
 * oldest kept base backup, on every timeline: replay from any kept base backup starts at or after
 * its own start segment, so nothing before the oldest one can be read again. Timeline history
 * files are always kept (small, and needed to follow timelines). When no physical base backup is
 * kept, nothing is removed. Each file's sidecar is deleted before its data object, so an
 * interrupted prune leaves files that read as missing, never a sidecar naming a deleted object.
 *
 * @throws BackupError `STORAGE_UNREACHABLE` from the backend; `MANIFEST_INVALID` for a kept base
 *   backup whose facts are incomplete (then nothing is deleted).
 */
export async function pruneWal(options: PruneWalOptions): Promise<PruneWalResult> {
  const logger = options.logger ?? silentLogger;
  const starts = options.keep.flatMap((m) => {
    const info = baseBackupInfo(m);
    return info ? [info.startWalFile.slice(8)] : [];
  });
  const result: PruneWalResult = { deletedObjects: 0, freedBytes: 0, removed: [], cutoff: undefined };
  if (starts.length === 0) {
    logger.info({ job: options.job }, 'no base backup kept: archived WAL left as is');
    return result;
  }
  const cutoff = starts.sort()[0]!;
  result.cutoff = cutoff;
  const sidecars: string[] = [];
  const objects: string[] = [];
  for (const entry of await listArchivedWal(options.storage, options.job)) {
    if (entry.file.kind === 'history' || entry.file.position === undefined || entry.file.position >= cutoff) {
      continue;
    }
    result.removed.push(entry.file.name);
    for (const object of [...(entry.sidecar ? [entry.sidecar] : []), ...entry.objects]) {
      result.deletedObjects += 1;
      result.freedBytes += object.size;
    }
    if (entry.sidecar) sidecars.push(entry.sidecar.key);
    objects.push(...entry.objects.map((o) => o.key));
  }
  if (!options.dryRun) {
    for (const keys of [sidecars, objects]) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        await options.storage.delete(keys.slice(i, i + DELETE_BATCH));
      }
    }
  }
  logger.info(
    {
      job: options.job,
      dryRun: options.dryRun,
      cutoff,
      removedFiles: result.removed.length,
      deletedObjects: result.deletedObjects,
    },
    options.dryRun ? 'WAL prune planned (dry run)' : 'archived WAL pruned',
  );
  return result;
}
