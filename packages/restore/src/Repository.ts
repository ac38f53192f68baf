import type {
  ArtifactDecryptor,
  ArtifactEncryptor,
  Catalog,
  CompressionSettings,
  StorageBackend,
} from '@backup/core';

/** The backup repository a restore reads from and writes its safety backups and drill reports to. */
export interface Repository {
  storage: StorageBackend;
  /** A catalog over `storage`. */
  catalog: Catalog;
  /** Compression of safety backups (the job's). */
  compression: CompressionSettings;
  /** Encryption of safety backups (the config's age recipients), so they are as protected as the job's sets. */
  encryptor?: ArtifactEncryptor | undefined;
  /** Reads encrypted artifacts (`--identity`, `BACKUP_AGE_IDENTITY`); without it they fail with `DECRYPT_FAILED`. */
  decryptor?: ArtifactDecryptor | undefined;
}
