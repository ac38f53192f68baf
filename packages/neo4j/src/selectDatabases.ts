import { BackupError } from '@backup/core';
import type { DatabaseInfo } from './listDatabases.js';

/**
 * Picks the databases to back up. `'all'`: every `standard` database (not `system`, not composite
 * databases, which hold no data of their own), online or not (an offline one then fails its
 * backup with `SOURCE_FAILED` instead of being skipped silently). A list: each name must exist
 * and be a standard database.
 *
 * @param server `host:port` for error messages.
 * @throws BackupError `CONFIG_INVALID` naming unknown or non-standard databases.
 */
export function selectDatabases(
  all: readonly DatabaseInfo[],
  wanted: 'all' | readonly string[],
  server: string,
): DatabaseInfo[] {
  const standard = all.filter((d) => d.type === 'standard');
  if (wanted === 'all') return standard;
  const unknown = wanted.filter((name) => !standard.some((d) => d.name === name));
  if (unknown.length > 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `neo4j databases ${unknown.join(', ')} do not exist on ${server} (or are system/composite databases); ` +
        `it has: ${standard.map((d) => d.name).join(', ') || 'none'}`,
    );
  }
  return wanted.map((name) => standard.find((d) => d.name === name)!);
}
