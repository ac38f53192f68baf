/**
 * Formats a database name for `--dbname=` of pg_dump, pg_restore and psql. libpq treats a dbname
 * containing `=` or starting with `postgres://`/`postgresql://` as a connection string (PG15
 * `libpq-connect`, "expand_dbname"), so such names are passed as the conninfo `dbname='...'` with
 * `'` and `\` escaped; other names are passed as they are. Connection parameters missing from
 * the conninfo still come from the PG* environment variables.
 */
export function dbnameArg(database: string): string {
  if (!database.includes('=') && !/^postgres(ql)?:\/\//i.test(database)) return database;
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
