// Node built-ins only: loaded by `backup wal-push` before the rest of the CLI.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** `${NAME}` / `${NAME:-default}` references, as @backup/config's `interpolateEnv` reads them. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Environment variables besides the config's own `${VAR}` references that can change which S3
 * endpoint or region the AWS SDK talks to (AWS SDK for JavaScript v3: `AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_S3`, `AWS_REGION`, shared config profile and files).
 */
const STORAGE_ENV = /^(AWS_ENDPOINT_URL(_S3)?|AWS_REGION|AWS_DEFAULT_REGION|AWS_PROFILE|AWS_CONFIG_FILE)$/;

/**
 * The repository fingerprint of a `wal-push` call, written into spool markers and compared by later
 * calls (`@backup/postgres` `markerProves`): sha256 over the config file's absolute path and bytes,
 * the `--job` argument as given, the values of every environment variable the file references
 * (`${VAR}`), and the AWS variables that choose an endpoint or region. Whenever anything that could
 * make the call store into another repository or job changes, the fingerprint changes and a marker
 * written before is not trusted (the file is simply pushed again, which is idempotent). Secrets
 * only enter through the hash.
 *
 * @param configPath `--config` as given; default `BACKUP_CONFIG`, then `./backup.yaml` (as
 *   `loadConfig` resolves it, against the working directory).
 * @returns `undefined` when the config file cannot be read (the caller then takes the normal path,
 *   which reports the error).
 */
export async function walTargetFingerprint(options: {
  configPath: string | undefined;
  env: NodeJS.ProcessEnv;
  job: string | undefined;
}): Promise<string | undefined> {
  const path = resolve(options.configPath ?? options.env['BACKUP_CONFIG'] ?? 'backup.yaml');
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  for (const match of text.toString('utf8').matchAll(REFERENCE)) names.add(match[1]!);
  for (const name of Object.keys(options.env)) if (STORAGE_ENV.test(name)) names.add(name);
  const env = [...names].sort().map((name) => [name, options.env[name] ?? null]);
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: 1, path, job: options.job ?? null, env }));
  hash.update('\0');
  hash.update(text);
  return `v1:${hash.digest('hex')}`;
}
