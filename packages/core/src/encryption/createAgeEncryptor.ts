import type { Duplex } from 'node:stream';
import type { Encrypter } from 'age-encryption';
import { BackupError, toBackupError } from '../errors.js';
import type { ArtifactEncryption, ArtifactEncryptor } from '../pipeline/encryption.js';
import { isX25519Recipient } from './ageKeys.js';
import { ageModule } from './ageModule.js';
import { recipientFingerprint } from './recipientFingerprint.js';
import { WebTransformDuplex } from './WebTransformDuplex.js';

/** Default scrypt work factor (log2 of N) for passphrase encryption: 18, the age CLI's default. */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18;

/**
 * Options of {@link createAgeEncryptor}: exactly one of `recipients` and `passphrase`.
 */
export interface AgeEncryptorOptions {
  /**
   * Native X25519 age recipients (`age1...`, the public keys printed by `age-keygen` or
   * `age-keygen -y key.txt`). Any one of the matching identities can decrypt. Surrounding
   * whitespace is ignored. Hybrid post-quantum (`age1pq1...`) and plugin recipients are refused:
   * the age 1.1 CLI could not decrypt them.
   */
  recipients?: readonly string[] | undefined;
  /**
   * Passphrase for the age scrypt recipient instead of public keys. Decrypting then needs the same
   * passphrase (`age -d` prompts for it). Prefer recipients for unattended backups: the backup side
   * then holds no secret at all.
   */
  passphrase?: string | undefined;
  /**
   * scrypt work factor (log2 of N) for `passphrase`, 10 to 20; default
   * {@link DEFAULT_SCRYPT_WORK_FACTOR} (18). Every artifact runs scrypt once when its stream
   * starts: at 18 that takes about 1 s of CPU (blocking the event loop, age-encryption's scrypt
   * is synchronous) and `2^logN` KiB of memory (256 MiB). Higher factors cannot be decrypted by
   * age-encryption (its limit is 20).
   */
  scryptWorkFactor?: number | undefined;
}

/**
 * Creates the pipeline's encryptor for the age format (age-encryption.org/v1, C2SP age spec):
 * each artifact gets a fresh random file key wrapped for every recipient (or for the passphrase
 * with scrypt), and the payload is encrypted with ChaCha20-Poly1305 in 64 KiB STREAM chunks.
 * The output is a standard age file: `age -d -i key.txt file.zst.age | zstd -d` works without
 * this tool.
 *
 * Streaming and bounded memory: the returned encryptor's `createEncryptStream()` is a Node.js
 * `Duplex` that holds at most one input chunk, one 64 KiB STREAM chunk and its readable
 * high-water mark (1 MiB); it never buffers a whole artifact. Throughput with age-encryption 0.3.1
 * (pure JS) is about 110-120 MB/s on one core.
 *
 * `info` (recorded in manifests) holds recipient fingerprints ({@link recipientFingerprint}),
 * never keys or the passphrase. The suffix is `.age`.
 *
 * @throws BackupError `CONFIG_INVALID` naming `encryption.recipients[i]`, `encryption.passphrase`
 *   or `encryption.scryptWorkFactor` when a value is invalid, or naming both fields when neither
 *   or both are set.
 */
export function createAgeEncryptor(options: AgeEncryptorOptions): ArtifactEncryptor {
  const hasRecipients = options.recipients !== undefined && options.recipients.length > 0;
  const hasPassphrase = options.passphrase !== undefined;
  if (hasRecipients === hasPassphrase) {
    throw new BackupError(
      'CONFIG_INVALID',
      hasRecipients
        ? 'Set either encryption.recipients or encryption.passphrase, not both'
        : 'Set encryption.recipients (age1... public keys, from `age-keygen -y key.txt`) or encryption.passphrase',
    );
  }

  if (hasPassphrase) {
    const passphrase = options.passphrase!;
    if (passphrase.length === 0) {
      throw new BackupError('CONFIG_INVALID', 'encryption.passphrase is empty; set a long random passphrase');
    }
    const workFactor = options.scryptWorkFactor ?? DEFAULT_SCRYPT_WORK_FACTOR;
    if (!Number.isInteger(workFactor) || workFactor < 10 || workFactor > 20) {
      throw new BackupError(
        'CONFIG_INVALID',
        `encryption.scryptWorkFactor must be an integer from 10 to 20 (got ${String(workFactor)})`,
      );
    }
    return ageEncryptor({ format: 'age', recipients: [], passphrase: true }, () => {
      const encrypter = new (ageModule().Encrypter)();
      encrypter.setScryptWorkFactor(workFactor);
      encrypter.setPassphrase(passphrase);
      return encrypter;
    });
  }

  const recipients = options.recipients!.map((raw, i) => {
    const recipient = typeof raw === 'string' ? raw.trim() : '';
    if (!isX25519Recipient(recipient)) {
      throw new BackupError(
        'CONFIG_INVALID',
        `encryption.recipients[${i}] is not a valid X25519 age recipient: expected age1 followed by 58 ` +
          'lower-case Bech32 characters (print it with `age-keygen -y key.txt`)',
        { details: { field: `encryption.recipients[${i}]` } },
      );
    }
    return recipient;
  });
  return ageEncryptor(
    { format: 'age', recipients: recipients.map(recipientFingerprint), passphrase: false },
    () => {
      const encrypter = new (ageModule().Encrypter)();
      for (const recipient of recipients) encrypter.addRecipient(recipient);
      return encrypter;
    },
  );
}

function ageEncryptor(info: ArtifactEncryption, newEncrypter: () => Encrypter): ArtifactEncryptor {
  return {
    suffix: '.age',
    info,
    createEncryptStream(): Duplex {
      return new WebTransformDuplex({
        start: (input) => newEncrypter().encrypt(input),
        mapError: (error) => toBackupError(error, 'INTERNAL', 'age encryption failed'),
      });
    },
  };
}
