import { ageModule } from './ageModule.js';

/**
 * Shapes of native X25519 age keys (age-encryption.org/v1, C2SP age spec "X25519 recipient
 * stanza"): Bech32 with HRP `age` (recipient, 32-byte public key) and `AGE-SECRET-KEY-`
 * (identity, 32-byte scalar). The regular expressions only pre-check the shape; the checksum and
 * length are verified by age-encryption's own parsers.
 */
const RECIPIENT_SHAPE = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;
const IDENTITY_SHAPE = /^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/;

/** True when `recipient` is a valid native X25519 age recipient (`age1...`, checksum included). */
export function isX25519Recipient(recipient: string): boolean {
  if (!RECIPIENT_SHAPE.test(recipient)) return false;
  const { Encrypter } = ageModule();
  try {
    new Encrypter().addRecipient(recipient);
    return true;
  } catch {
    return false;
  }
}

/**
 * Normalises an X25519 age identity line: Bech32 may be written all lower-case, age-keygen writes
 * it upper-case. Returns the upper-case identity, or `undefined` when the line is not a valid
 * `AGE-SECRET-KEY-1...` (checksum included).
 */
export function normalizeX25519Identity(line: string): string | undefined {
  const candidate = line === line.toLowerCase() ? line.toUpperCase() : line;
  if (!IDENTITY_SHAPE.test(candidate)) return undefined;
  const { Decrypter } = ageModule();
  try {
    new Decrypter().addIdentity(candidate);
    return candidate;
  } catch {
    return undefined;
  }
}
