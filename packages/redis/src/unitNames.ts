/** Unit (kind `instance`) of an RDB-mode backup of a standalone server; its artifact is `dump.rdb`. */
export const INSTANCE_UNIT = 'instance';

/**
 * Unit of a Redis Cluster master: `master-<host>-<port>` (characters other than letters, digits,
 * `.` and `-` in the host become `_`, so IPv6 addresses stay one path segment).
 */
export function masterUnitName(host: string, port: number): string {
  return `master-${host.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}`;
}

/** Unit (kind `database`) of a keys-mode backup of database `db` of a standalone server: `db<N>`. */
export function dbUnitName(db: number): string {
  return `db${db}`;
}

/** RDB artifact name of a unit (before pipeline suffixes): `dump.rdb`, or `<unit>.rdb` for masters. */
export function rdbArtifactName(unit: string): string {
  return unit === INSTANCE_UNIT ? 'dump.rdb' : `${unit}.rdb`;
}

/** Keys-mode artifact name of a unit (before pipeline suffixes): `<unit>.keys.ndjson`. */
export function keysArtifactName(unit: string): string {
  return `${unit}.keys.ndjson`;
}
