import { BackupError } from '@backup/core';
import type { DatabaseInfo } from './listDatabases.js';

/**
 * Applies a job's `databases` and `exclude` to the server's databases.
 *
 * - `'all'`: every database that is not a template and allows connections (so `template0`,
 *   `template1` and databases with `datallowconn = false` are skipped), minus `exclude`, in the
 *   order of `all` (by name).
 * - a list: exactly those databases in that order (duplicates dropped), minus `exclude`.
 *
 * @param where server label for messages (`host:port`).
 * @throws BackupError `CONFIG_INVALID` naming the configured databases that do not exist (and the
 *   ones that do), or that refuse connections.
 */
export function selectDatabases(
  all: readonly DatabaseInfo[],
  databases: 'all' | readonly string[],
  exclude: readonly string[],
  where: string,
): DatabaseInfo[] {
  const excluded = new Set(exclude);
  if (databases === 'all') {
    return all.filter((d) => !d.isTemplate && d.allowConnections && !excluded.has(d.name));
  }
  const byName = new Map(all.map((d) => [d.name, d]));
  const missing = databases.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    const existing = all.filter((d) => !d.isTemplate && d.allowConnections).map((d) => d.name);
    throw new BackupError(
      'CONFIG_INVALID',
      `databases: ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist on ` +
        `${where} (existing: ${existing.join(', ') || 'none'}); fix the job's databases list`,
      { details: { missing, server: where } },
    );
  }
  const closed = databases.filter((name) => !byName.get(name)!.allowConnections);
  if (closed.length > 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `databases: ${closed.map((m) => `"${m}"`).join(', ')} on ${where} do not allow connections ` +
        `(datallowconn = false) and cannot be dumped; remove them from the job's databases list`,
      { details: { closed, server: where } },
    );
  }
  const seen = new Set<string>();
  return databases
    .filter((name) => !excluded.has(name) && !seen.has(name) && seen.add(name))
    .map((name) => byName.get(name)!);
}
