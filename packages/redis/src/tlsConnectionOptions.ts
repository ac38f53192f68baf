import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { BackupError } from '@backup/core';

/** TLS settings for `rediss://` URLs (file paths, as Kubernetes mounts secrets). */
export interface RedisTlsOptions {
  /** PEM file of the CA(s) to trust instead of Node's bundled roots. */
  caFile?: string | undefined;
  /** PEM client certificate, for servers with `tls-auth-clients yes`. */
  certFile?: string | undefined;
  /** PEM key of `certFile`. */
  keyFile?: string | undefined;
  /** Server name to verify (SNI); default the URL's host. */
  servername?: string | undefined;
  /** Verify the server certificate; default `true`. `false` only for tests: it allows a man in the middle. */
  rejectUnauthorized?: boolean | undefined;
}

/**
 * Node `tls.connect` options for an endpoint: reads the PEM files (once per call) and sets SNI to
 * `servername` or the host (unless the host is an IP address).
 *
 * @throws BackupError `CONFIG_INVALID` when a file cannot be read, or `certFile` comes without
 *   `keyFile` (or the reverse).
 */
export function tlsConnectionOptions(host: string, options: RedisTlsOptions = {}): ConnectionOptions {
  const read = (field: keyof RedisTlsOptions, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new BackupError(
        'CONFIG_INVALID',
        `tls.${field} ${path} cannot be read: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  };
  if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
    throw new BackupError('CONFIG_INVALID', 'tls.certFile and tls.keyFile go together: set both or neither');
  }
  const result: ConnectionOptions = { rejectUnauthorized: options.rejectUnauthorized ?? true };
  const ca = read('caFile', options.caFile);
  const cert = read('certFile', options.certFile);
  const key = read('keyFile', options.keyFile);
  if (ca) result.ca = ca;
  if (cert) result.cert = cert;
  if (key) result.key = key;
  const servername = options.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
  if (servername) result.servername = servername;
  return result;
}
