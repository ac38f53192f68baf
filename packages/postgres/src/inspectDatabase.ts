import type pg from 'pg';

/** Counts of user objects in one database (outside `pg_catalog`, `information_schema`, `pg_*`). */
export interface DatabaseContents {
  /** Tables, views, sequences, indexes... (`pg_class`). */
  relations: number;
  /** Ordinary and partitioned tables (`relkind` `r`, `p`). */
  tables: number;
  /** Functions and procedures (`pg_proc`). */
  functions: number;
  /** Types, including row and array types (`pg_type`). */
  types: number;
  /** Large objects (`pg_largeobject_metadata`). */
  largeObjects: number;
  /** Extensions besides `plpgsql` (which every new database has). */
  extensions: number;
  /** Schemas besides `public`. */
  schemas: number;
}

/** True when the database holds nothing a restore could collide with. */
export function isEmptyDatabase(contents: DatabaseContents): boolean {
  return (
    contents.relations === 0 &&
    contents.functions === 0 &&
    contents.types === 0 &&
    contents.largeObjects === 0 &&
    contents.extensions === 0 &&
    contents.schemas === 0
  );
}

/** Counts the user objects of the database `client` is connected to (one query). */
export async function inspectDatabase(client: pg.Client): Promise<DatabaseContents> {
  const { rows } = await client.query<DatabaseContents>(`
    with ns as (
      select oid, nspname from pg_namespace
       where nspname !~ '^pg_' and nspname <> 'information_schema'
    )
    select (select count(*) from pg_class where relnamespace in (select oid from ns))::int as "relations",
           (select count(*) from pg_class where relnamespace in (select oid from ns)
                                            and relkind in ('r', 'p'))::int as "tables",
           (select count(*) from pg_proc where pronamespace in (select oid from ns))::int as "functions",
           (select count(*) from pg_type where typnamespace in (select oid from ns))::int as "types",
           (select count(*) from pg_largeobject_metadata)::int as "largeObjects",
           (select count(*) from pg_extension where extname <> 'plpgsql')::int as "extensions",
           (select count(*) from ns where nspname <> 'public')::int as "schemas"`);
  return rows[0]!;
}
