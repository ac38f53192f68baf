import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BackupError } from '@backup/core';

/** A PostgreSQL client tool's version as printed by `<tool> --version`. */
export interface ToolVersion {
  /** The full line, e.g. `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`. */
  text: string;
  /** `15.20`. */
  version: string;
  /** Major version: `15`; `9.6` for releases before 10. */
  major: number;
}

/**
 * Parses `pg_dump (PostgreSQL) 15.20 (Debian ...)` (also `pg_restore`, `psql`, and betas such as
 * `17beta1`). Returns `undefined` when the text does not look like a PostgreSQL tool version.
 */
export function parseToolVersion(text: string): ToolVersion | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const first = Number(match[1]);
  const second = match[2] === undefined ? undefined : Number(match[2]);
  const major = first >= 10 || second === undefined ? first : Number(`${first}.${second}`);
  const version = [match[1], match[2], match[3]].filter((p) => p !== undefined).join('.');
  return { text: text.trim().split('\n')[0]!, version, major };
}

/** Major version of a server from `server_version_num` (`150020` -> 15, `90624` -> 9.6). */
export function serverMajor(serverVersionNum: number): number {
  return serverVersionNum >= 100000
    ? Math.floor(serverVersionNum / 10000)
    : Math.floor(serverVersionNum / 10000) + Math.floor((serverVersionNum % 10000) / 100) / 10;
}

/**
 * Runs `<path> --version` and parses it.
 * @throws BackupError `CONFIG_INVALID` when the tool cannot be run (not installed, wrong binDir),
 *   saying which Debian package provides it.
 */
export async function readToolVersion(path: string): Promise<ToolVersion> {
  const tool = path.split('/').pop()!;
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(path, ['--version'], { timeout: 30_000 }));
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Cannot run ${path} (${(error as Error).message}); install the PostgreSQL client ` +
        `(apt-get install postgresql-client, or postgresql-client-<server major> from apt.postgresql.org) ` +
        `or set binDir to the directory holding ${tool}`,
      { cause: error },
    );
  }
  const parsed = parseToolVersion(stdout);
  if (!parsed) {
    throw new BackupError(
      'CONFIG_INVALID',
      `${path} --version printed "${stdout.trim()}", not a PostgreSQL version`,
    );
  }
  return parsed;
}
