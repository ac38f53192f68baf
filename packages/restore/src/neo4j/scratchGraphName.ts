import { createHash } from 'node:crypto';
import { BackupError } from '@backup/core';

/** Neo4j's database name limit. */
const MAX_NAME_LENGTH = 63;

/**
 * Name of the scratch database of a drill on Neo4j Enterprise: `<prefix><job>-<database>` in the
 * form Neo4j accepts for database names (lower case ASCII letters, digits, `.` and `-`, starting
 * with a letter; anything else becomes `-`), e.g. `drill-neo4j-neo4j` for prefix `drill_`. Names
 * longer than 63 characters are cut and end with 8 hex digits of a sha256 of the full name.
 * Throws `CONFIG_INVALID` for an empty prefix (drills drop the databases named with it), one longer
 * than 32 bytes, or one that does not start with a letter.
 */
export function scratchGraphName(prefix: string, job: string, database: string): string {
  if (prefix === '') {
    throw new BackupError(
      'CONFIG_INVALID',
      'The drill prefix must not be empty: drills drop the databases named with it (e.g. --prefix drill_)',
    );
  }
  if (Buffer.byteLength(prefix) > 32 || !/^[a-z]/i.test(prefix)) {
    throw new BackupError(
      'CONFIG_INVALID',
      `The drill prefix "${prefix}" must start with a letter and be at most 32 bytes (Neo4j database names)`,
    );
  }
  const full = `${prefix}${job}-${database}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  if (full.length <= MAX_NAME_LENGTH) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_NAME_LENGTH - 9)}-${hash}`;
}
