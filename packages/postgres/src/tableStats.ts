import { BackupError, type Logger } from '@backup/core';
import type pg from 'pg';
import type { DumpRowCounts } from './dumpRowCounter.js';
import { openClient } from './openClient.js';

/**
 * One user table as recorded in a database unit's manifest metadata `tableStats` at backup time,
 * compared with the restored database by the restore checks (`@backup/restore`).
 */
export interface TableStat {
  /** `schema.table`, each part quoted as needed (`format('%I.%I')`): `docs.documents`, `public."Odd"`. */
  table: string;
  /** Exact `count(*)` (the table's own rows plus those of its partitions and inheritance children). */
  rows: number;
  /** `pg_total_relation_size` (table, indexes, TOAST) on the source; informational, never compared. */
  bytes: number;
}

/**
 * A read-only `REPEATABLE READ` transaction on the database being dumped whose snapshot pg_dump
 * shares (`pg_dump --snapshot=<id>`), so the row counts are exactly the rows in the dump, even while
 * the database is being written to. Keep it open until pg_dump has finished, then `close()` it.
 *
 * Where the counts come from: a table's rows are what `count(*)` on it returns in that snapshot (its
 * own rows plus those of its partitions and inheritance children). The rows of each table the dump
 * holds as COPY data are counted from the dump stream itself (`DumpRowCounter`: the newlines of
 * its `TABLE DATA` block, same snapshot, so the same number); `count(*)` runs, after the dump and
 * still in the snapshot, only for tables whose rows are not all in the dump as COPY data (members
 * of extensions, whose data pg_dump may filter or skip; foreign partitions; tables without a
 * `TABLE DATA` entry) or when the stream could not be read. The counts stay exact either way.
 */
export interface TableStatsSession {
  /**
   * Snapshot id for `pg_dump --snapshot`; `undefined` when the server could not export one (the
   * counts are then taken in a snapshot of their own, just before the dump).
   */
  readonly snapshot: string | undefined;
  /**
   * Lists the ordinary and partitioned tables outside the system schemas with their sizes and row
   * counts, inside the session's snapshot. `dumped`: the row counts read from the dump stream
   * (`DumpRowCounter.result()`), or `undefined` to count every table with `count(*)` (a full
   * scan of each). Never throws: a failure is logged as a warning and yields `undefined` (a backup
   * never fails for its statistics).
   */
  collect(logger: Logger, dumped?: DumpRowCounts | undefined): Promise<TableStat[] | undefined>;
  /**
   * Runs `fn` on the session's connection, inside its snapshot (a read-only repeatable-read
   * transaction), within a savepoint: when `fn` throws, the transaction rolls back to the
   * savepoint, so the exported snapshot stays valid, and the error is rethrown unchanged. Lets the
   * backup read what it needs before the dump without a connection of its own (~10-20 ms each).
   */
  run<T>(fn: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Ends the transaction and the connection. Idempotent, never throws. */
  close(): Promise<void>;
}

/**
 * The user tables (`listed`) with their sizes, plus every other relation that inherits from one of
 * them (foreign partitions, children in other schemas), whether each is a member of an extension,
 * and its direct parents.
 */
const TABLES_SQL = `
  with recursive rel as (
    select c.oid, true as listed
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    union
    select i.inhrelid, false from pg_inherits i join rel on rel.oid = i.inhparent
  )
  select format('%I.%I', n.nspname, c.relname) as "table", n.nspname as "schema", c.relname as "name",
         c.oid::int8::text as "oid", c.relkind::text as "relkind", bool_or(rel.listed) as "listed",
         case when bool_or(rel.listed) then pg_total_relation_size(c.oid)::float8 else 0 end as "bytes",
         exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e') as "inExtension",
         coalesce((select array_agg(i.inhparent::int8::text) from pg_inherits i where i.inhrelid = c.oid),
                  '{}') as "parents"
    from rel join pg_class c on c.oid = rel.oid join pg_namespace n on n.oid = c.relnamespace
   group by c.oid, n.nspname, c.relname, c.relkind
   order by 1`;

/** One relation of the statistics query (see `TABLES_SQL`). */
export interface RelationRow {
  /** `schema.table`, quoted as needed. */
  table: string;
  /** Schema and table name, unquoted (as in the dump's TOC). */
  schema: string;
  name: string;
  /** `pg_class.oid` as text. */
  oid: string;
  /** `pg_class.relkind`: `r`, `p`, or (descendants only) `f`... */
  relkind: string;
  /** True for the tables reported (user tables); false for other descendants of them. */
  listed: boolean;
  /** `pg_total_relation_size` in bytes (0 when not listed). */
  bytes: number;
  /** Member of an extension (pg_dump skips or filters its data). */
  inExtension: boolean;
  /** oids (text) of the direct parents (`pg_inherits`). */
  parents: string[];
}

/**
 * Rows of each listed table from the dump's counts where every relation `count(*)` on it would scan
 * (itself and its descendants) is either partitioned (no rows of its own) or a plain table outside
 * any extension with counted COPY data; `undefined` for a table that needs `count(*)`.
 */
export function rowsFromDump(
  relations: RelationRow[],
  dumped: DumpRowCounts,
): Map<string, number | undefined> {
  const own = new Map<string, number>();
  for (const t of dumped.tables) own.set(`${t.schema}\u0000${t.table}`, t.rows);
  const children = new Map<string, string[]>();
  const byOid = new Map<string, RelationRow>();
  for (const r of relations) {
    byOid.set(r.oid, r);
    for (const parent of r.parents) {
      const list = children.get(parent);
      if (list) list.push(r.oid);
      else children.set(parent, [r.oid]);
    }
  }
  const ownRows = (r: RelationRow): number | undefined => {
    if (r.relkind === 'p') return 0;
    if (r.relkind !== 'r' || r.inExtension) return undefined;
    return own.get(`${r.schema}\u0000${r.name}`);
  };
  const result = new Map<string, number | undefined>();
  for (const r of relations) {
    if (!r.listed) continue;
    const seen = new Set<string>([r.oid]);
    const queue = [r];
    let rows: number | undefined = 0;
    while (queue.length > 0 && rows !== undefined) {
      const member = queue.pop()!;
      const n = ownRows(member);
      rows = n === undefined ? undefined : rows + n;
      for (const child of children.get(member.oid) ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        const row = byOid.get(child);
        if (row === undefined) rows = undefined;
        else queue.push(row);
      }
    }
    result.set(r.table, rows);
  }
  return result;
}

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
    async run(fn) {
      await client.query('savepoint run');
      try {
        const result = await fn(client);
        await client.query('release savepoint run');
        return result;
      } catch (error) {
        await client.query('rollback to savepoint run').catch(() => {});
        throw error;
      }
    },
    async collect(logger, dumped) {
      // Inside a savepoint: an error (no SELECT privilege on a table...) must not abort the exporting
      // transaction, which would invalidate the snapshot pg_dump is importing.
      try {
        await client.query('savepoint table_stats');
        const { rows: relations } = await client.query<RelationRow>(TABLES_SQL);
        const fromDump = dumped === undefined ? undefined : rowsFromDump(relations, dumped);
        const stats: TableStat[] = [];
        for (const { table, bytes, listed } of relations) {
          if (!listed) continue;
          let count = fromDump?.get(table);
          if (count === undefined) {
            const { rows } = await client.query<{ n: string }>(`select count(*)::text as n from ${table}`);
            count = Number(rows[0]!.n);
          }
          stats.push({ table, rows: count, bytes: Number(bytes) });
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
