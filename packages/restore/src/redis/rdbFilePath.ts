import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { rdbArtifactName } from '@backup/redis';

/** Where `--to-file PATH` puts a unit's RDB, and whether something is there already. */
export interface RdbFileTarget {
  /** Absolute path of the file: `PATH`, or `PATH/dump.rdb` (`PATH/<unit>.rdb`) for a directory. */
  path: string;
  /** A file (or anything else) exists at `path`. */
  exists: boolean;
  /** Its size in bytes when it exists. */
  bytes: number;
}

/**
 * The file the Redis engine's `toFile` restore writes for `unit`, resolved as the engine does: an
 * existing directory receives `dump.rdb` (the `instance` unit) or `master-<host>-<port>.rdb`,
 * anything else is the file itself. Reads the file system only.
 */
export async function rdbFilePath(toFile: string, unit: string): Promise<RdbFileTarget> {
  const given = resolve(toFile);
  const info = await stat(given).catch(() => undefined);
  const path = info?.isDirectory() ? join(given, rdbArtifactName(unit)) : given;
  const existing = path === given ? info : await stat(path).catch(() => undefined);
  return { path, exists: existing !== undefined, bytes: existing?.size ?? 0 };
}
