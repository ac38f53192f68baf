import { createHash } from 'node:crypto';
import { BackupError } from '@backup/core';

/** Qdrant's collection name limit in bytes. */
const MAX_NAME_BYTES = 255;

/**
 * Name of the scratch collection of a drill: `<prefix><job>_<collection>`, e.g.
 * `drill_qdrant_runbooks`. Names longer than 255 bytes are cut and end with 8 hex digits of a sha256
 * of the full name (unique and stable). Throws `CONFIG_INVALID` for an empty prefix (a drill deletes
 * the collections named with it) or one longer than 32 bytes or holding `/`.
 */
export function scratchCollectionName(prefix: string, job: string, collection: string): string {
  if (prefix === '') {
    throw new BackupError(
      'CONFIG_INVALID',
      'The drill prefix must not be empty: drills delete the collections named with it (e.g. --prefix drill_)',
    );
  }
  if (Buffer.byteLength(prefix) > 32 || prefix.includes('/')) {
    throw new BackupError(
      'CONFIG_INVALID',
      `The drill prefix "${prefix}" must be at most 32 bytes without "/"`,
    );
  }
  const full = `${prefix}${job}_${collection}`;
  if (Buffer.byteLength(full) <= MAX_NAME_BYTES) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  let cut = full;
  while (Buffer.byteLength(cut) > MAX_NAME_BYTES - 9) cut = cut.slice(0, -1);
  return `${cut}_${hash}`;
}
