import { loadAgeIdentities } from './loadAgeIdentities.js';

/** Environment variable holding an age identity file path or the `AGE-SECRET-KEY-1...` key itself. */
export const AGE_IDENTITY_ENV = 'BACKUP_AGE_IDENTITY';

/** Options of {@link resolveAgeIdentities}. */
export interface ResolveAgeIdentitiesOptions {
  /** The `--identity FILE` flag (a path, or the key itself). Wins over the environment. */
  identityFile?: string | undefined;
  /** Environment to read {@link AGE_IDENTITY_ENV} from. Default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
}

/**
 * Finds the age identities for decrypting (restore, verify --deep): the `--identity` flag first,
 * then `BACKUP_AGE_IDENTITY` (a file path or the key text, see {@link loadAgeIdentities}). Empty
 * values count as unset.
 *
 * @returns The identities, or `undefined` when neither the flag nor the variable is set (the
 *   caller then reads unencrypted artifacts only; encrypted ones fail with `DECRYPT_FAILED`).
 * @throws BackupError `CONFIG_INVALID` from {@link loadAgeIdentities}, naming the flag or variable.
 */
export async function resolveAgeIdentities(
  options: ResolveAgeIdentitiesOptions = {},
): Promise<string[] | undefined> {
  if (options.identityFile !== undefined && options.identityFile.trim() !== '') {
    return loadAgeIdentities(options.identityFile, { origin: '--identity' });
  }
  const fromEnv = (options.env ?? process.env)[AGE_IDENTITY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return loadAgeIdentities(fromEnv, { origin: AGE_IDENTITY_ENV });
  }
  return undefined;
}
