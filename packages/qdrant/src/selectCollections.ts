import { BackupError } from '@backup/core';

/**
 * Applies the `collections` / `exclude` options to the collection names a node listed
 * (`get_collections` `GET /collections`): `'all'` keeps every collection, a list keeps those names
 * (each must exist); `exclude` then removes names. Returns names sorted.
 *
 * @throws BackupError `CONFIG_INVALID` when a listed collection does not exist (the message lists
 *   the existing ones).
 */
export function selectCollections(
  existing: readonly string[],
  collections: 'all' | readonly string[],
  exclude: readonly string[],
  server: string,
): string[] {
  let selected: string[];
  if (collections === 'all') {
    selected = [...existing];
  } else {
    const missing = collections.filter((c) => !existing.includes(c));
    if (missing.length > 0) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Collections ${missing.join(', ')} do not exist on ${server} (it has: ${existing.join(', ') || 'none'})`,
      );
    }
    selected = [...new Set(collections)];
  }
  return selected.filter((c) => !exclude.includes(c)).sort();
}
