/**
 * Media type recorded for `<db>.dump` artifacts: a `pg_dump --format=custom` archive (uncompressed
 * inside: the pipeline compresses). Restorable with `pg_restore` (PG15 `pg_dump(1)`, protocols.md 6.4).
 */
export const POSTGRES_DUMP_MEDIA_TYPE = 'application/vnd.postgresql.custom-dump';

/** Media type recorded for `globals.sql`: the plain SQL script of `pg_dumpall --globals-only`. */
export const POSTGRES_GLOBALS_MEDIA_TYPE = 'application/sql';
