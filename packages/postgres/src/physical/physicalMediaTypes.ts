/**
 * Media type recorded for `base.tar` artifacts: the tar of `pg_basebackup -D - -Ft -X fetch`, the
 * data directory with the WAL needed for consistency in `pg_wal/` and `backup_manifest` injected
 * last (protocols.md 6.3). Extract with `tar -x` and check with `pg_verifybackup`.
 */
export const POSTGRES_BASE_BACKUP_MEDIA_TYPE = 'application/vnd.postgresql.base-backup+tar';

/** Unit name and kind of a physical backup set: the whole cluster is one unit. */
export const CLUSTER_UNIT = 'cluster';
