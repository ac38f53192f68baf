import type { Duplex } from 'node:stream';

/**
 * How an artifact is encrypted, as recorded in the manifest. Never holds keys: only the
 * recipients' public keys' fingerprints (and whether a passphrase was used).
 */
export interface ArtifactEncryption {
  /** Container format: `age` (age-encryption.org/v1). */
  format: 'age';
  /** Fingerprints of the X25519 recipients (sha256 of the `age1...` string, first 16 hex chars). */
  recipients: string[];
  /** True when a scrypt passphrase stanza was used instead of recipients. */
  passphrase: boolean;
}

/**
 * Encrypts artifacts in the pipeline. The backup side needs only public keys.
 * Implemented by `createAgeEncryptor` (see the encryption module).
 */
export interface ArtifactEncryptor {
  /** Suffix added to artifact names, `.age`. */
  readonly suffix: string;
  /** What the manifest records for artifacts this encryptor wrote. */
  readonly info: ArtifactEncryption;
  /** A new encrypting transform for one artifact. */
  createEncryptStream(): Duplex;
}

/** Decrypts artifacts when reading (verify --deep, restore). Throws `DECRYPT_FAILED` on a wrong key. */
export interface ArtifactDecryptor {
  /** A new decrypting transform for one artifact encrypted as `info` says. */
  createDecryptStream(info: ArtifactEncryption): Duplex;
}
