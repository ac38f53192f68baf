import { BackupError, type Catalog, type Manifest } from '@backup/core';

/** Which set to restore: `ref` (`latest` or a set id) or `asOf`. */
export interface BackupSetSelector {
  /** `latest` or a set id `YYYYMMDD-HHMMSS`. */
  ref?: string | undefined;
  /** The newest complete set that started at or before this time. */
  asOf?: Date | undefined;
}

/**
 * The manifest of the set to restore: by `ref` (`Catalog.resolve`), or the newest complete set of
 * `job` whose start time (its id) is at or before `asOf`. Only complete sets (with a manifest) are
 * ever chosen. Throws `CONFIG_INVALID` for both or neither selector or a malformed id, `NOT_FOUND`
 * when no set qualifies (naming the job and the time).
 */
export async function resolveBackupSet(
  catalog: Catalog,
  job: string,
  selector: BackupSetSelector,
): Promise<Manifest> {
  if (selector.ref !== undefined && selector.asOf !== undefined) {
    throw new BackupError('CONFIG_INVALID', 'Give a set (id or latest) or --as-of, not both');
  }
  if (selector.asOf !== undefined) {
    const asOf = selector.asOf;
    const sets = (await catalog.listSets(job)).filter((s) => s.complete);
    const chosen = sets.find((s) => s.time.getTime() <= asOf.getTime());
    if (!chosen) {
      const oldest = sets.at(-1);
      throw new BackupError(
        'NOT_FOUND',
        `Job ${job} has no complete backup set at or before ${asOf.toISOString()}` +
          (oldest ? ` (its oldest is ${oldest.id})` : ' (it has none)'),
        { details: { job, asOf: asOf.toISOString() } },
      );
    }
    return catalog.readManifest(job, chosen.id);
  }
  if (selector.ref === undefined) {
    throw new BackupError('CONFIG_INVALID', 'Choose a set: an id, latest, or --as-of TIME');
  }
  return catalog.resolve(job, selector.ref);
}
