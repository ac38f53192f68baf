import { BackupError, type EngineContext } from '@backup/core';
import type { PsqlConnection } from './psqlConnection.js';
import { runPsql } from './runPsql.js';
import type { TableCount } from './TableCount.js';

/**
 * For every ordinary and partitioned table outside the system schemas, a statement that prints
 * `{"table", "rows", "bytes"}` as JSON; `\gexec` runs them. The same definition as the backup-time
 * counts of `@backup/postgres` (`tableStats.ts`): exact `count(*)`, `format('%I.%I')` names.
 */
const SCRIPT = String.raw`
select format('select json_build_object(''table'', %L, ''rows'', count(*), ''bytes'', %s)::text from %s',
              t.name, t.bytes, t.name)
  from (select format('%I.%I', n.nspname, c.relname) as name, pg_total_relation_size(c.oid) as bytes
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
         order by 1) t
\gexec
`;

/**
 * Counts the rows (`count(*)`, a full scan of every user table, in one read-only transaction) and
 * reads the sizes of the tables of the database `connection` points at, sorted by name. Throws
 * `RESTORE_FAILED` when psql fails.
 */
export async function countTables(
  psql: string,
  connection: PsqlConnection,
  ctx: EngineContext,
): Promise<TableCount[]> {
  const lines = await runPsql(psql, connection, SCRIPT, ctx, {
    transaction: true,
    label: `psql counting rows on ${connection.server}`,
  });
  try {
    return lines
      .map((line) => JSON.parse(line) as TableCount)
      .map((t) => ({ table: t.table, rows: Number(t.rows), bytes: Number(t.bytes) }))
      .sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  } catch (error) {
    throw new BackupError('RESTORE_FAILED', `Unexpected psql output while counting rows: ${lines[0]}`, {
      cause: error,
    });
  }
}
