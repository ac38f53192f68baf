import { type ArtifactDecryptor, createAgeDecryptor, resolveAgeIdentities } from '@backup/core';
import type { EncryptionConfig } from './schema.js';

/** Options of {@link createDecryptor}. */
export interface CreateDecryptorOptions {
  /** `--identity FILE` (an age identity file, or the `AGE-SECRET-KEY-1...` key itself). */
  identityFile?: string | undefined;
  /** For `BACKUP_AGE_IDENTITY`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The config's encryption section: a passphrase there also decrypts. */
  encryption?: EncryptionConfig | undefined;
}

/**
 * The decryptor for reading encrypted artifacts: identities from `--identity FILE`, else
 * `BACKUP_AGE_IDENTITY` (a path or the key), else the config's passphrase. `undefined` when none is
 * available: encrypted artifacts then fail with `DECRYPT_FAILED` (restore) or are verified at the
 * checksum level only (verify). Throws `CONFIG_INVALID` for an unreadable identity file.
 */
export async function createDecryptor(
  options: CreateDecryptorOptions = {},
): Promise<ArtifactDecryptor | undefined> {
  const identities = await resolveAgeIdentities({
    ...(options.identityFile === undefined ? {} : { identityFile: options.identityFile }),
    env: options.env ?? process.env,
  });
  if (identities && identities.length > 0) return createAgeDecryptor({ identities });
  if (options.encryption?.passphrase !== undefined)
    return createAgeDecryptor({ passphrase: options.encryption.passphrase });
  return undefined;
}
