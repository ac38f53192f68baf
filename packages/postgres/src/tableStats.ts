import { BackupError, type Logger } from '@backup/core';
import { openClient } from './openClient.js';

/**
 * One user table as recorded in a database unit's manifest metadata `tableStats` at backup time,
 * compared with the restored database by the restore checks (`@backup/restore`).
 */
export interface TableStat {
  /** `schema.table`, each part quoted as needed (`format('%I.%I')`): `docs.documents`, `public."Odd"`. */
  table: string;
  /** Exact `count(*)`. */
  rows: number;
  /** `pg_total_relation_size` (table, indexes, TOAST) on the source; informational, never compared. */
  bytes: number;
}

/**
 * A read-only `REPEATABLE READ` transaction on the database being dumped whose snapshot pg_dump
 * shares (`pg_dump --snapshot=<id>`), so the row counts are exactly the rows in the dump, even while
 * the database is being written to. Keep it open until pg_dump has finished, then `close()` it.
 */
export interface TableStatsSession {
  /**
   * Snapshot id for `pg_dump --snapshot`; `undefined` when the server could not export one (the
   * counts are then taken in a snapshot of their own, just before the dump).
   */
  readonly snapshot: string | undefined;
  /**
   * Counts the rows (`count(*)`, a full scan of each ordinary and partitioned table outside the
   * system schemas) and reads the sizes, inside the session's snapshot. Never throws: a failure is
   * logged as a warning and yields `undefined` (a backup never fails for its statistics).
   */
  collect(logger: Logger): Promise<TableStat[] | undefined>;
  /** Ends the transaction and the connection. Idempotent, never throws. */
  close(): Promise<void>;
}

/** Lists the user tables and their sizes, sorted by name. */
const TABLES_SQL = `
  select format('%I.%I', n.nspname, c.relname) as "table", pg_total_relation_size(c.oid)::float8 as "bytes"
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
   order by 1`;

/**
 * Opens a {@link TableStatsSession} on `database`. Throws `SOURCE_FAILED` when it cannot connect
 * (pg_dump would fail the same way).
 */
export async function openTableStatsSession(
  env: NodeJS.ProcessEnv,
  database: string,
): Promise<TableStatsSession> {
  const client = await openClient(env, database, 'SOURCE_FAILED');
  let snapshot: string | undefined;
  try {
    await client.query('begin isolation level repeatable read read only');
    snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
  } catch {
    // e.g. a standby older than PostgreSQL 10: count in a snapshot of our own
    await client.query('rollback').catch(() => {});
    await client.query('begin isolation level repeatable read read only').catch(() => {});
    snapshot = undefined;
  }
  let closed = false;
  return {
    snapshot,
    async collect(logger) {
      // Inside a savepoint: an error (no SELECT privilege on a table...) must not abort the exporting
      // transaction, which would invalidate the snapshot pg_dump is importing.
      try {
        await client.query('savepoint table_stats');
        const { rows: tables } = await client.query<{ table: string; bytes: number }>(TABLES_SQL);
        const stats: TableStat[] = [];
        for (const { table, bytes } of tables) {
          const { rows } = await client.query<{ n: string }>(`select count(*)::text as n from ${table}`);
          stats.push({ table, rows: Number(rows[0]!.n), bytes: Number(bytes) });
        }
        await client.query('release savepoint table_stats');
        return stats;
      } catch (error) {
        await client.query('rollback to savepoint table_stats').catch(() => {});
        if (closed) return undefined; // the dump failed and closed the session: nothing to report
        logger.warn(
          { database, err: error instanceof BackupError ? error : (error as Error).message },
          'could not count the rows of the tables; the restore checks of this set will not compare row counts',
        );
        return undefined;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.query('rollback').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
