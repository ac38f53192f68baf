import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { BackupError } from '@backup/core';
import pg from 'pg';
import { serverLabel } from './serverLabel.js';

/** Error codes {@link openClient} may use for a connection failure. */
export type ConnectErrorCode = 'SOURCE_FAILED' | 'RESTORE_FAILED';

/**
 * Connects a `pg` client to `database` with the settings of a libpq environment (see
 * `connectionEnv`), so discovery and checks reach the same server, as the same user, with the same
 * TLS policy as pg_dump/pg_restore:
 *
 * - `PGHOST` (default `/var/run/postgresql` when it exists, else `localhost`; a directory means a
 *   Unix socket), `PGPORT` (default 5432), `PGUSER` (default: the OS user), `PGPASSWORD`,
 *   `PGAPPNAME` (default `backup-postgres`), `PGOPTIONS`, `PGCONNECT_TIMEOUT` (seconds; default 30).
 * - `PGSSLMODE` with libpq semantics (PG15 `libpq-ssl`, table "SSL Mode Descriptions"): `disable`;
 *   `allow` (plain, then TLS if the server refuses); `prefer`, the default (TLS without
 *   verification, plain if the server does not support TLS); `require` (TLS without verification,
 *   or like `verify-ca` when a root certificate is given); `verify-ca` (chain checked against
 *   `PGSSLROOTCERT`, default `~/.postgresql/root.crt`); `verify-full` (chain and host name).
 *   `PGSSLCERT`/`PGSSLKEY` give a client certificate.
 *
 * @throws BackupError `errorCode` (default `SOURCE_FAILED`) naming the server, user and database
 *   and saying what to check, with the driver error as `cause`; `CONFIG_INVALID` for a bad
 *   `PGSSLMODE` or an unreadable certificate file. Messages never contain the password.
 */
export async function openClient(
  env: NodeJS.ProcessEnv,
  database: string,
  errorCode: ConnectErrorCode = 'SOURCE_FAILED',
): Promise<pg.Client> {
  const host = env['PGHOST'] || (existsSync('/var/run/postgresql') ? '/var/run/postgresql' : 'localhost');
  const user = env['PGUSER'] || userInfo().username;
  const base: pg.ClientConfig = {
    host,
    port: Number(env['PGPORT'] || 5432),
    user,
    database,
    application_name: env['PGAPPNAME'] || 'backup-postgres',
    connectionTimeoutMillis: Number(env['PGCONNECT_TIMEOUT'] || 30) * 1000,
    keepAlive: true,
  };
  if (env['PGPASSWORD'] !== undefined) base.password = env['PGPASSWORD'];
  if (env['PGOPTIONS']) base.options = env['PGOPTIONS'];
  const attempts = sslAttempts(env, host);
  let lastError: unknown;
  for (let i = 0; i < attempts.length; i++) {
    const client = new pg.Client({ ...base, ssl: attempts[i]! });
    client.on('error', () => {}); // a dropped idle connection surfaces on the next query
    try {
      await client.connect();
      return client;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => {});
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: string }).code;
      const retry =
        i + 1 < attempts.length &&
        (attempts[i] === false ? code === '28000' : /does not support SSL/i.test(message));
      if (!retry) break;
    }
  }
  throw connectError(lastError, env, user, database, errorCode);
}

function connectError(
  error: unknown,
  env: NodeJS.ProcessEnv,
  user: string,
  database: string,
  errorCode: ConnectErrorCode,
): BackupError {
  const reason = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const hint =
    code === '28P01'
      ? 'check the password (the url or PGPASSWORD)'
      : code === '28000'
        ? 'check the user name and the server pg_hba.conf rules (host, TLS)'
        : code === '3D000'
          ? 'the database does not exist'
          : code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ENOENT'
            ? 'is the server running, and are the host and port (url, PGHOST, PGPORT) right?'
            : 'check the connection settings (url, PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSSLMODE)';
  let message = `Cannot connect to PostgreSQL at ${serverLabel(env)} as user "${user}" (database "${database}"): ${reason}; ${hint}`;
  const password = env['PGPASSWORD'];
  if (password) message = message.split(password).join('***');
  return new BackupError(errorCode, message, {
    cause: error,
    details: { server: serverLabel(env), user, database, ...(code ? { pgCode: code } : {}) },
  });
}

/** TLS settings to try in order for the libpq `sslmode` of `env`; `false` means no TLS. */
function sslAttempts(env: NodeJS.ProcessEnv, host: string): Array<false | ConnectionOptions> {
  if (host.startsWith('/')) return [false]; // Unix socket: libpq never uses TLS there
  const mode = env['PGSSLMODE'] || (env['PGREQUIRESSL'] === '1' ? 'require' : 'prefer');
  const client: ConnectionOptions = {};
  if (env['PGSSLCERT']) client.cert = readPem(env['PGSSLCERT'], 'PGSSLCERT (sslcert)');
  if (env['PGSSLKEY']) client.key = readPem(env['PGSSLKEY'], 'PGSSLKEY (sslkey)');
  const rootCert = (): ConnectionOptions => {
    const configured = env['PGSSLROOTCERT'];
    if (configured === 'system') return {};
    const path = configured || join(homedir(), '.postgresql', 'root.crt');
    if (!configured && !existsSync(path)) return {};
    return { ca: readPem(path, 'PGSSLROOTCERT (sslrootcert)') };
  };
  const unverified: ConnectionOptions = { ...client, rejectUnauthorized: false };
  const skipHostname = { checkServerIdentity: () => undefined };
  switch (mode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, unverified];
    case 'prefer':
      return [unverified, false];
    case 'require':
      return env['PGSSLROOTCERT'] ? [{ ...client, ...rootCert(), ...skipHostname }] : [unverified];
    case 'verify-ca':
      return [{ ...client, ...rootCert(), ...skipHostname }];
    case 'verify-full':
      return [{ ...client, ...rootCert(), servername: host }];
    default:
      throw new BackupError(
        'CONFIG_INVALID',
        `sslmode (PGSSLMODE) "${mode}" is not one of disable, allow, prefer, require, verify-ca, verify-full`,
      );
  }
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BackupError('CONFIG_INVALID', `Cannot read ${what} file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
