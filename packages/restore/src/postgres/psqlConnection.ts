import { BackupError } from '@backup/core';

/** How to point psql at one database of a server: arguments, environment and a label for people. */
export interface PsqlConnection {
  /** `--dbname=<URL without password>`, or nothing when the libpq environment says where. */
  args: string[];
  /** The environment for psql: the base one plus `PGPASSWORD` / `PGDATABASE` as needed. */
  env: NodeJS.ProcessEnv;
  /** `host:port`, never with credentials. */
  server: string;
}

/**
 * Connection of psql to `database` on the server of `url` (a `postgres://` URL, its password moved
 * to `PGPASSWORD` so it never appears in argv), or of the libpq environment `env` (`PGHOST`,
 * `PGPORT`, `PGUSER`, `PGPASSWORD`...) when `url` is undefined, as the PostgreSQL engine connects.
 * `database` undefined means the URL's own database, else `PGDATABASE`, else `postgres`.
 * Throws `CONFIG_INVALID` for a URL that is not `postgres://` (the message never holds the URL).
 */
export function psqlConnection(
  url: string | undefined,
  env: NodeJS.ProcessEnv,
  database: string | undefined,
): PsqlConnection {
  const out: NodeJS.ProcessEnv = { ...env };
  if (url === undefined) {
    out['PGDATABASE'] = database ?? (env['PGDATABASE'] || 'postgres');
    return { args: [], env: out, server: label(env['PGHOST'], env['PGPORT']) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new BackupError('CONFIG_INVALID', 'target is not a valid postgres:// URL', { cause: error });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new BackupError('CONFIG_INVALID', 'target must be a PostgreSQL URL starting with postgres://');
  }
  if (parsed.password !== '') {
    out['PGPASSWORD'] = decodeURIComponent(parsed.password);
    parsed.password = '';
  }
  const own = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  parsed.pathname = `/${encodeURIComponent(database ?? (own || 'postgres'))}`;
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || parsed.searchParams.get('host') || env['PGHOST'];
  return {
    args: [`--dbname=${parsed.toString()}`],
    env: out,
    server: label(host, parsed.port || parsed.searchParams.get('port') || env['PGPORT']),
  };
}

function label(host: string | null | undefined, port: string | null | undefined): string {
  return `${host || 'local socket'}:${port || '5432'}`;
}
