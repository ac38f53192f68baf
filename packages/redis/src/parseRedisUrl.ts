import { BackupError } from '@backup/core';

/** Where and how to connect, parsed from a `redis://` or `rediss://` URL. */
export interface RedisEndpoint {
  host: string;
  /** Default 6379. */
  port: number;
  /** ACL user name (Redis 6+); absent: the `default` user. */
  username: string | undefined;
  password: string | undefined;
  /** `rediss://`: connect with TLS. */
  tls: boolean;
  /** Database number from the URL path (`/3`), when given. */
  db: number | undefined;
}

/**
 * Parses `redis://[user[:password]@]host[:port][/db]` or `rediss://...` (TLS). User and password
 * are percent-decoded; a password without a user (`redis://:secret@host`) authenticates the
 * `default` user. IPv6 hosts are written in brackets (`redis://[::1]:6379`).
 *
 * @throws BackupError `CONFIG_INVALID` for another scheme, a missing host, a bad port or db, or
 *   query parameters (the message never contains the password).
 */
export function parseRedisUrl(url: string, field = 'url'): RedisEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BackupError(
      'CONFIG_INVALID',
      `${field} is not a URL; expected redis://[user:password@]host:port`,
    );
  }
  const scheme = parsed.protocol;
  if (scheme !== 'redis:' && scheme !== 'rediss:') {
    throw new BackupError(
      'CONFIG_INVALID',
      `${field} must start with redis:// or rediss:// (TLS), not ${scheme}//`,
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new BackupError('CONFIG_INVALID', `${field} has no host`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BackupError('CONFIG_INVALID', `${field} has an invalid port`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new BackupError(
      'CONFIG_INVALID',
      `${field} must not have query parameters or a fragment; use the job's tls options for TLS settings`,
    );
  }
  const path = parsed.pathname.replace(/^\/+|\/+$/g, '');
  let db: number | undefined;
  if (path !== '') {
    if (!/^\d{1,5}$/.test(path)) {
      throw new BackupError('CONFIG_INVALID', `${field} path must be a database number (/0, /1...)`);
    }
    db = Number(path);
  }
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return { host, port, username, password, tls: scheme === 'rediss:', db };
}

/** `host:port` of an endpoint (`[::1]:6379` for IPv6), for messages and manifests: never credentials. */
export function endpointLabel(endpoint: Pick<RedisEndpoint, 'host' | 'port'>): string {
  return endpoint.host.includes(':')
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}
