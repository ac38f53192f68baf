import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian/Ubuntu packages (`postgresql-client-<major>`) install the client binaries. */
const DEBIAN_BASE = '/usr/lib/postgresql';

/**
 * Picks the directory of the PostgreSQL client binaries: `binDir` when given; else the newest
 * `/usr/lib/postgresql/<major>/bin` that contains `pg_dump` (Debian's layout, where several
 * majors coexist and the newest dumps every older server); else `undefined`, meaning the tools
 * are looked up on `PATH`.
 */
export function resolveBinDir(binDir?: string, base = DEBIAN_BASE): string | undefined {
  if (binDir !== undefined) return binDir;
  if (!existsSync(base)) return undefined;
  const newest = readdirSync(base)
    .filter((d) => /^\d+(\.\d+)?$/.test(d) && existsSync(join(base, d, 'bin', 'pg_dump')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(base, newest, 'bin');
}

/** Path of a client tool in `binDir`, or its bare name (found on `PATH`) when `binDir` is undefined. */
export function toolPath(binDir: string | undefined, tool: string): string {
  return binDir === undefined ? tool : join(binDir, tool);
}
