import { createHash } from 'node:crypto';
import { BackupError } from '@backup/core';

/** PostgreSQL's identifier limit (NAMEDATALEN - 1) in bytes. */
const MAX_NAME_BYTES = 63;

/**
 * Name of the scratch database of a drill: `<prefix><job>_<database>`, e.g. `drill_postgresql_outline`.
 * Names longer than PostgreSQL's 63 bytes are cut and end with 8 hex digits of a sha256 of the full
 * name, so they stay unique and stable (the same drill always cleans up the same name). Throws
 * `CONFIG_INVALID` for an empty prefix (a drill drops its scratch databases: it needs a namespace)
 * or one longer than 32 bytes.
 */
export function scratchDatabaseName(prefix: string, job: string, database: string): string {
  if (prefix === '') {
    throw new BackupError(
      'CONFIG_INVALID',
      'The drill prefix must not be empty: drills drop the databases named with it (e.g. --prefix drill_)',
    );
  }
  if (Buffer.byteLength(prefix) > 32) {
    throw new BackupError('CONFIG_INVALID', `The drill prefix "${prefix}" is longer than 32 bytes`);
  }
  const full = `${prefix}${job}_${database}`;
  if (Buffer.byteLength(full) <= MAX_NAME_BYTES) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  let cut = full;
  while (Buffer.byteLength(cut) > MAX_NAME_BYTES - 9) cut = cut.slice(0, -1);
  return `${cut}_${hash}`;
}
