import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Path of `psql`: in `binDir` when given (the job's `binDir`), else in the newest
 * `/usr/lib/postgresql/<major>/bin` that has it (Debian's layout, as the engine picks its tools),
 * else `psql` on `PATH`.
 */
export function resolvePsql(binDir?: string, base = '/usr/lib/postgresql'): string {
  if (binDir !== undefined) return join(binDir, 'psql');
  if (!existsSync(base)) return 'psql';
  const newest = readdirSync(base)
    .filter((d) => /^\d+(\.\d+)?$/.test(d) && existsSync(join(base, d, 'bin', 'psql')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? 'psql' : join(base, newest, 'bin', 'psql');
}
