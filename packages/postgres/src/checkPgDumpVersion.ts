import { BackupError } from '@backup/core';
import { serverMajor, type ToolVersion } from './toolVersion.js';

/**
 * Checks that pg_dump can dump the server: pg_dump refuses servers of a newer major version
 * ("aborting because of server version mismatch"; PG15 `pg_dump(1)`: "pg_dump can also dump from
 * PostgreSQL servers older than its own version ... cannot dump from servers newer than its own
 * major version").
 *
 * @param pgDump version of the pg_dump that will run.
 * @param serverVersionNum `server_version_num` of the server, e.g. `160004`.
 * @param where the binary's directory (or `PATH`), named in the message.
 * @throws BackupError `CONFIG_INVALID` naming both versions and the package to install
 *   (`postgresql-client-<server major>`) or the `binDir` option to set.
 */
export function checkPgDumpVersion(pgDump: ToolVersion, serverVersionNum: number, where: string): void {
  const server = serverMajor(serverVersionNum);
  if (pgDump.major >= server) return;
  throw new BackupError(
    'CONFIG_INVALID',
    `pg_dump ${pgDump.version} (${where}) cannot dump a PostgreSQL ${server} server: pg_dump must be at ` +
      `least the server's major version. Install postgresql-client-${server} (apt-get install ` +
      `postgresql-client-${server}, from apt.postgresql.org) or set binDir to its bin directory`,
    { details: { pgDumpVersion: pgDump.version, serverVersionNum } },
  );
}

/**
 * Checks that pg_restore can read an archive written by pg_dump `dumpVersion` (pg_restore reads
 * archives of its own and older versions only; a newer archive fails with "unsupported version in
 * file header"). Unknown `dumpVersion` passes.
 *
 * @throws BackupError `CONFIG_INVALID` naming the package to install (`postgresql-client-<major>`).
 */
export function checkPgRestoreVersion(
  pgRestore: ToolVersion,
  dumpMajor: number | undefined,
  where: string,
): void {
  if (dumpMajor === undefined || pgRestore.major >= dumpMajor) return;
  throw new BackupError(
    'CONFIG_INVALID',
    `pg_restore ${pgRestore.version} (${where}) cannot read a dump made by pg_dump ${dumpMajor}. Install ` +
      `postgresql-client-${dumpMajor} (apt-get install postgresql-client-${dumpMajor}) or set binDir to its bin directory`,
    { details: { pgRestoreVersion: pgRestore.version, dumpMajor } },
  );
}
