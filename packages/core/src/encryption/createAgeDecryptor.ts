import type { Duplex } from 'node:stream';
import { BackupError } from '../errors.js';
import type { ArtifactDecryptor, ArtifactEncryption } from '../pipeline/encryption.js';
import { normalizeX25519Identity } from './ageKeys.js';
import { ageModule } from './ageModule.js';
import { recipientFingerprint } from './recipientFingerprint.js';
import { WebTransformDuplex } from './WebTransformDuplex.js';

/** Options of {@link createAgeDecryptor}: at least one identity or a passphrase. */
export interface AgeDecryptorOptions {
  /**
   * Native X25519 age identities (`AGE-SECRET-KEY-1...`), e.g. from {@link loadAgeIdentities} or
   * {@link resolveAgeIdentities}. Each artifact is decrypted by whichever identity matches one of
   * its recipient stanzas.
   */
  identities?: readonly string[] | undefined;
  /**
   * Passphrase for artifacts encrypted with the age scrypt recipient. scrypt work factors up to 20
   * are accepted (age-encryption's limit; the age CLI encrypts with 18, which costs about 1 s and
   * 256 MiB of memory per artifact to decrypt).
   */
  passphrase?: string | undefined;
}

const ENV_HINT =
  'pass --identity FILE or set BACKUP_AGE_IDENTITY (a key file path or the AGE-SECRET-KEY-1... key)';

/**
 * Creates the pipeline's decryptor for age files (age-encryption.org/v1, C2SP age spec), used by
 * `readArtifact` (verify, restore). Each `createDecryptStream(info)` is a streaming Node.js
 * `Duplex` with bounded memory (one input chunk, one 64 KiB STREAM chunk, a 1 MiB readable
 * high-water mark).
 *
 * Authenticity: age authenticates the header with an HMAC before any payload is read, and every
 * 64 KiB payload chunk with ChaCha20-Poly1305 (the last one flagged as last, so truncation is
 * detected); age-encryption only enqueues a chunk after its tag verified. So the stream emits
 * only authenticated plaintext, and fails instead of ending when anything is wrong. A consumer
 * must still treat the stream's error as the failure of the whole artifact: the authenticated
 * chunks before a corrupt one have already been emitted.
 *
 * Errors (the stream errors with `BackupError` `DECRYPT_FAILED`, before emitting anything when
 * the header is at fault): no identity or passphrase matches the file (the message lists the
 * artifact's recipient fingerprints and those of the identities given), the header is malformed
 * or its MAC does not verify, a payload chunk fails authentication, the file is truncated, or
 * `info` is not an age file or needs a passphrase/identity that was not given.
 *
 * @throws BackupError `CONFIG_INVALID` (synchronously) when neither identities nor a passphrase
 *   are given or `identities[i]` is not an `AGE-SECRET-KEY-1...` key (the key is never echoed).
 */
export function createAgeDecryptor(options: AgeDecryptorOptions): ArtifactDecryptor {
  const identities = (options.identities ?? []).map((raw, i) => {
    const identity = typeof raw === 'string' ? normalizeX25519Identity(raw.trim()) : undefined;
    if (identity === undefined) {
      throw new BackupError(
        'CONFIG_INVALID',
        `identities[${i}] is not an X25519 age identity (AGE-SECRET-KEY-1..., as written by age-keygen)`,
        { details: { field: `identities[${i}]` } },
      );
    }
    return identity;
  });
  const passphrase = options.passphrase;
  if (passphrase !== undefined && passphrase.length === 0) {
    throw new BackupError('CONFIG_INVALID', 'The decryption passphrase is empty');
  }
  if (identities.length === 0 && passphrase === undefined) {
    throw new BackupError('CONFIG_INVALID', `No age identity or passphrase given: ${ENV_HINT}`);
  }
  let fingerprints: Promise<string[]> | undefined;
  const ownFingerprints = () => {
    fingerprints ??= Promise.all(
      identities.map(async (id) => recipientFingerprint(await ageModule().identityToRecipient(id))),
    );
    return fingerprints;
  };

  return {
    createDecryptStream(info: ArtifactEncryption): Duplex {
      return new WebTransformDuplex({
        start: async (input) => {
          const refused = refuse(info, identities.length > 0, passphrase !== undefined);
          if (refused) throw refused;
          const decrypter = new (ageModule().Decrypter)();
          for (const identity of identities) decrypter.addIdentity(identity);
          if (passphrase !== undefined) decrypter.addPassphrase(passphrase);
          try {
            return await decrypter.decrypt(input);
          } catch (error) {
            throw headerError(error, info, await ownFingerprints().catch(() => []));
          }
        },
        mapError: payloadError,
      });
    },
  };
}

/** Checks `info` before reading anything: a decryptor that cannot possibly succeed fails early. */
function refuse(
  info: ArtifactEncryption,
  hasIdentities: boolean,
  hasPassphrase: boolean,
): BackupError | undefined {
  if (info.format !== 'age') {
    return new BackupError(
      'DECRYPT_FAILED',
      `The artifact is encrypted as ${String(info.format)}, not age; this tool cannot decrypt it`,
    );
  }
  if (info.passphrase && !hasPassphrase) {
    return new BackupError(
      'DECRYPT_FAILED',
      'The artifact was encrypted with an age passphrase, and no passphrase was given: provide the passphrase it was encrypted with',
    );
  }
  if (!info.passphrase && !hasIdentities) {
    return new BackupError(
      'DECRYPT_FAILED',
      `The artifact was encrypted to age recipients ${info.recipients.join(', ')} (fingerprints) and no identity was given: ${ENV_HINT}`,
    );
  }
  return undefined;
}

/** Explains a failure while age reads and checks the header (nothing was emitted yet). */
function headerError(error: unknown, info: ArtifactEncryption, own: string[]): BackupError {
  if (error instanceof BackupError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  let message: string;
  if (reason.includes('no identity matched')) {
    message = info.passphrase
      ? 'The passphrase given does not decrypt the artifact: check the passphrase'
      : `None of the ${own.length || 'given'} identities decrypts the artifact: it was encrypted to recipient ` +
        `fingerprints ${info.recipients.join(', ') || '(unknown)'}, the identities given have ${own.join(', ') || '(none)'}; ` +
        `${ENV_HINT} with the matching key (fingerprint of a key file: ` +
        'printf %s "$(age-keygen -y key.txt)" | sha256sum | cut -c1-16)';
  } else if (reason.includes('HMAC')) {
    message = 'The age header of the artifact is corrupt or was tampered with (its MAC does not verify)';
  } else if (reason.includes('stream ended')) {
    message = 'The artifact is truncated: it ends inside the age header';
  } else {
    message = `The artifact is not a valid age file (${reason}): it is corrupt or was not encrypted by age`;
  }
  return new BackupError('DECRYPT_FAILED', message, { cause: error });
}

/** Explains a failure of the payload: a STREAM chunk did not authenticate, or the file is truncated. */
function payloadError(error: unknown): BackupError {
  if (error instanceof BackupError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new BackupError(
    'DECRYPT_FAILED',
    `The age payload of the artifact failed authentication (${reason}): it is corrupt, truncated or was ` +
      'tampered with; restore from another backup set',
    { cause: error },
  );
}
