/**
 * Human label of the server a libpq environment points at, for messages and results:
 * `host:port` from `PGHOST`/`PGPORT` (defaults: the local socket, 5432). Never contains
 * credentials.
 */
export function serverLabel(env: NodeJS.ProcessEnv): string {
  const host = env['PGHOST'] || 'local socket';
  return `${host}:${env['PGPORT'] || '5432'}`;
}
