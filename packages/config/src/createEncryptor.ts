import { type ArtifactEncryptor, createAgeEncryptor } from '@backup/core';
import type { EncryptionConfig } from './schema.js';

/** The encryptor for the config's `encryption:` section, or `undefined` when backups are not encrypted. */
export function createEncryptor(config: EncryptionConfig | undefined): ArtifactEncryptor | undefined {
  if (!config) return undefined;
  return createAgeEncryptor(
    config.passphrase !== undefined
      ? { passphrase: config.passphrase }
      : { recipients: config.recipients ?? [] },
  );
}
