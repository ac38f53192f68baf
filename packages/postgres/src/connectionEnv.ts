import { BackupError } from '@backup/core';
import { parse } from 'pg-connection-string';

/**
 * URL query parameters accepted in a `postgres://` URL and the libpq environment variable each
 * maps to (PG15 `libpq-connect` "Parameter Key Words" and `libpq-envars`).
 */
const PARAMETER_ENV: Readonly<Record<string, string>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  channel_binding: 'PGCHANNELBINDING',
  service: 'PGSERVICE',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  sslmode: 'PGSSLMODE',
  requiressl: 'PGREQUIRESSL',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  sslnegotiation: 'PGSSLNEGOTIATION',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  requirepeer: 'PGREQUIREPEER',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

/**
 * Maps a `postgres://` (or `postgresql://`) URL to the libpq environment of the child processes
 * (pg_dump, pg_dumpall, pg_restore, psql) and of the `pg` client: a copy of `env` in which the
 * URL's parts override the variables they correspond to (`PGHOST`, `PGPORT`, `PGUSER`,
 * `PGPASSWORD`, `PGDATABASE`, and query parameters such as `sslmode` -> `PGSSLMODE`,
 * `sslrootcert` -> `PGSSLROOTCERT`). What the URL leaves out keeps coming from `env`, as with
 * libpq itself (a URL without password uses `PGPASSWORD` or `~/.pgpass`). Without `url`, returns
 * a copy of `env`. Parameter names: PG15 `libpq-connect` and `libpq-envars`.
 *
 * The password goes into `PGPASSWORD` of the children's environment so it never appears in argv.
 *
 * @param url `postgres://user:password@host:port/database?sslmode=require`; percent-encoded parts
 *   are decoded; a Unix socket directory goes in `?host=/var/run/postgresql`.
 * @param env base environment; default `process.env`.
 * @throws BackupError `CONFIG_INVALID` when the URL cannot be parsed or has an unknown query
 *   parameter; the message never contains the URL (it may hold a password).
 */
export function connectionEnv(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  if (url === undefined) return out;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new BackupError(
      'CONFIG_INVALID',
      'url must be a PostgreSQL URL starting with postgres:// or postgresql:// (e.g. postgres://user@host:5432/postgres)',
    );
  }
  const queryAt = url.indexOf('?');
  const base = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(base);
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      'url is not a valid PostgreSQL URL (check percent-encoding of special characters in the user and password)',
      { cause: error instanceof Error ? new Error(error.message) : undefined },
    );
  }
  const set = (name: string, value: string | null | undefined) => {
    if (value !== undefined && value !== null && value !== '') out[name] = value;
  };
  set('PGHOST', parsed.host);
  set('PGPORT', parsed.port);
  set('PGUSER', parsed.user);
  set('PGPASSWORD', parsed.password);
  set('PGDATABASE', databaseOf(base) ?? parsed.database);
  for (const [key, value] of query) {
    const name = PARAMETER_ENV[key];
    if (!name) {
      throw new BackupError(
        'CONFIG_INVALID',
        `url has an unknown parameter "${key}"; libpq parameters are: ${Object.keys(PARAMETER_ENV).join(', ')}`,
      );
    }
    out[name] = value;
  }
  return out;
}

/** The URL path's database name, fully percent-decoded (`pg-connection-string` keeps `%3D` etc.). */
function databaseOf(base: string): string | undefined {
  const path = /^postgres(?:ql)?:\/\/[^/]*\/(.+)$/i.exec(base)?.[1];
  if (path === undefined) return undefined;
  try {
    return decodeURIComponent(path);
  } catch {
    throw new BackupError('CONFIG_INVALID', 'url has a badly percent-encoded database name');
  }
}
