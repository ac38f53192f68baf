import type pg from 'pg';

/** One row of `pg_database`, as the engine uses it. */
export interface DatabaseInfo {
  name: string;
  /** `datistemplate`. */
  isTemplate: boolean;
  /** `datallowconn`: template0 and databases being dropped refuse connections. */
  allowConnections: boolean;
  /** Server encoding name, e.g. `UTF8` (`pg_encoding_to_char(encoding)`). */
  encoding: string;
  /** `datcollate`, e.g. `en_US.UTF-8`. */
  collate: string;
  /** `datctype`. */
  ctype: string;
  /** `libc`, `icu` (PG15+) or `builtin` (PG17+). */
  localeProvider: 'libc' | 'icu' | 'builtin';
  /** ICU or builtin locale (`daticulocale` in PG15-16, `datlocale` in PG17+), else null. */
  locale: string | null;
  /** Owner role name. */
  owner: string;
  /** `pg_database_size` in bytes; null for templates and databases we may not connect to. */
  sizeBytes: number | null;
}

const PROVIDERS = { c: 'libc', i: 'icu', b: 'builtin' } as const;

/**
 * Lists every database of the server the client is connected to, sorted by name. Works on
 * PostgreSQL 9.5+ (columns that newer releases added or renamed are read through `to_jsonb`).
 */
export async function listDatabases(client: pg.Client): Promise<DatabaseInfo[]> {
  const { rows } = await client.query<{
    name: string;
    is_template: boolean;
    allow_conn: boolean;
    encoding: string;
    collate: string;
    ctype: string;
    provider: string | null;
    locale: string | null;
    owner: string;
    size_bytes: string | null;
  }>(`
    select d.datname as name,
           d.datistemplate as is_template,
           d.datallowconn as allow_conn,
           pg_encoding_to_char(d.encoding) as encoding,
           d.datcollate as collate,
           d.datctype as ctype,
           to_jsonb(d) ->> 'datlocprovider' as provider,
           coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale') as locale,
           pg_get_userbyid(d.datdba) as owner,
           case when d.datallowconn and not d.datistemplate and has_database_privilege(d.oid, 'CONNECT')
                then pg_database_size(d.oid) end as size_bytes
      from pg_database d
     order by d.datname`);
  return rows.map((r) => ({
    name: r.name,
    isTemplate: r.is_template,
    allowConnections: r.allow_conn,
    encoding: r.encoding,
    collate: r.collate,
    ctype: r.ctype,
    localeProvider: PROVIDERS[(r.provider ?? 'c') as keyof typeof PROVIDERS] ?? 'libc',
    locale: r.locale,
    owner: r.owner,
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
  }));
}
