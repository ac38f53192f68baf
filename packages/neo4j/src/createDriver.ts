import { BackupError } from '@backup/core';
import neo4j, { type AuthToken, type Config } from 'neo4j-driver';
import type { Neo4jDriverLike } from './Neo4jDriverLike.js';
import { NEO4J_URI_SCHEME } from './neo4jJobOptionsSchema.js';

/**
 * TLS settings for `bolt://` and `neo4j://` URIs (the `+s`/`+ssc` schemes set TLS themselves and
 * cannot be combined with these; neo4j-driver manual, "Connection URI" and "Configuration").
 */
export interface Neo4jTlsOptions {
  /** Encrypt the connection; default `false` (the driver's default for plain schemes). */
  encrypted?: boolean | undefined;
  /**
   * Which certificates to trust when encrypted: `system` (default: the system CAs), `custom`
   * (only `trustedCertificates`), `all` (any certificate: no verification; testing only).
   */
  trust?: 'system' | 'custom' | 'all' | undefined;
  /** PEM files of the CAs to trust with `trust: custom`. */
  trustedCertificates?: string[] | undefined;
}

/** What {@link createDriver} needs: where and who. */
export interface Neo4jConnectionOptions {
  /** `neo4j://`, `neo4j+s://`, `neo4j+ssc://`, `bolt://`, `bolt+s://` or `bolt+ssc://` URI. */
  uri: string;
  /** Basic-auth user (with `password`); ignored when `auth` is given. */
  user?: string | undefined;
  /** Basic-auth password. */
  password?: string | undefined;
  /** Any driver auth token (`neo4j.auth.bearer(...)`, `kerberos`...); overrides user/password. */
  auth?: AuthToken | undefined;
  tls?: Neo4jTlsOptions | undefined;
}

const TRUST: Record<NonNullable<Neo4jTlsOptions['trust']>, NonNullable<Config['trust']>> = {
  system: 'TRUST_SYSTEM_CA_SIGNED_CERTIFICATES',
  custom: 'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES',
  all: 'TRUST_ALL_CERTIFICATES',
};

export { NEO4J_URI_SCHEME };

/**
 * Builds a neo4j-driver `Driver` (lossless integers, the driver's default) for `options`. The
 * driver connects lazily: errors such as a refused connection or bad credentials surface on the
 * first query. The caller closes it.
 *
 * @throws BackupError `CONFIG_INVALID` for an unsupported URI scheme, TLS options combined with a
 *   `+s`/`+ssc` scheme, `trust: custom` without `trustedCertificates`, or a URI the driver rejects.
 */
export function createDriver(options: Neo4jConnectionOptions): Neo4jDriverLike {
  const scheme = NEO4J_URI_SCHEME.exec(options.uri);
  if (!scheme) {
    throw new BackupError(
      'CONFIG_INVALID',
      'neo4j uri must start with neo4j://, neo4j+s://, neo4j+ssc://, bolt://, bolt+s:// or bolt+ssc://',
    );
  }
  const tls = options.tls;
  const config: Config = { userAgent: '@backup/neo4j' };
  if (tls !== undefined) {
    if (scheme[2] !== undefined) {
      throw new BackupError(
        'CONFIG_INVALID',
        `neo4j tls options cannot be combined with the ${scheme[1]}${scheme[2]}:// scheme, which sets TLS itself`,
      );
    }
    if (tls.trust === 'custom' && (tls.trustedCertificates ?? []).length === 0) {
      throw new BackupError(
        'CONFIG_INVALID',
        'neo4j tls.trust: custom needs tls.trustedCertificates (PEM files)',
      );
    }
    if (tls.encrypted !== undefined) config.encrypted = tls.encrypted ? 'ENCRYPTION_ON' : 'ENCRYPTION_OFF';
    if (tls.trust !== undefined) config.trust = TRUST[tls.trust];
    if (tls.trustedCertificates !== undefined) config.trustedCertificates = tls.trustedCertificates;
  }
  const auth =
    options.auth ??
    (options.user !== undefined ? neo4j.auth.basic(options.user, options.password ?? '') : undefined);
  try {
    return neo4j.driver(options.uri, auth, config);
  } catch (error) {
    throw new BackupError(
      'CONFIG_INVALID',
      `neo4j driver rejected the configuration: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
