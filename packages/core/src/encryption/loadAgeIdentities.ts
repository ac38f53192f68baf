import { open } from 'node:fs/promises';
import { BackupError } from '../errors.js';
import { normalizeX25519Identity } from './ageKeys.js';

/** Options of {@link loadAgeIdentities}. */
export interface LoadAgeIdentitiesOptions {
  /**
   * Where `source` came from, used in error messages, e.g. `--identity` or `BACKUP_AGE_IDENTITY`.
   * Default `identity`.
   */
  origin?: string | undefined;
}

/** Identity files are a few lines; anything bigger is certainly the wrong file. */
const MAX_IDENTITY_FILE_BYTES = 1 << 20;

const HOW_TO = 'create one with `age-keygen -o key.txt`';

/**
 * Loads native X25519 age identities (private keys).
 *
 * `source` is either an identity file path or the key text itself:
 * - text that contains `AGE-SECRET-KEY-` or a line break is key text in the identity file format
 *   below (e.g. a whole `key.txt` put into `BACKUP_AGE_IDENTITY` from a Kubernetes Secret), so a
 *   key with a typo is reported as a bad key, never echoed back as a "file name";
 * - anything else is a path to an identity file in the age format (age-encryption.org/v1 "identity
 *   files", as written by `age-keygen -o key.txt`): one `AGE-SECRET-KEY-1...` per line, `#`
 *   comments and blank lines ignored, several keys allowed.
 *
 * Key lines may be all upper- or all lower-case (Bech32); they are returned upper-case.
 *
 * @returns The identities in file order, at least one.
 * @throws BackupError `CONFIG_INVALID` naming the file (or origin) when the file cannot be read or
 *   is not a regular file of at most 1 MiB, when a non-comment line is not an X25519 identity
 *   (only the line number is named: key material never appears in messages), or when it holds
 *   no key at all.
 */
export async function loadAgeIdentities(
  source: string,
  options: LoadAgeIdentitiesOptions = {},
): Promise<string[]> {
  const origin = options.origin ?? 'identity';
  if (typeof source !== 'string' || source.trim().length === 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `The age ${origin} is empty: give a key file path or the key; ${HOW_TO}`,
    );
  }
  if (source.includes('\n') || /AGE-SECRET-KEY-/i.test(source)) {
    return parseIdentities(source, `the age key given in ${origin}`);
  }
  return parseIdentities(await readIdentityFile(source, origin), `age identity file ${source} (${origin})`);
}

async function readIdentityFile(path: string, origin: string): Promise<string> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size > MAX_IDENTITY_FILE_BYTES) {
        throw new BackupError(
          'CONFIG_INVALID',
          `age identity file ${path} (${origin}) is not a regular file of at most 1 MiB; ` +
            `give the file written by age-keygen, or ${HOW_TO}`,
        );
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new BackupError(
      'CONFIG_INVALID',
      `Cannot read age identity file ${path} (${origin}): ${code}; check the path and its permissions, or ${HOW_TO}`,
      { cause: error, details: { path } },
    );
  }
  return text;
}

function parseIdentities(text: string, label: string): string[] {
  const identities: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const identity = normalizeX25519Identity(line);
    if (identity === undefined) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Line ${index + 1} of ${label} is not an X25519 age identity (AGE-SECRET-KEY-1...); only native ` +
          `age-keygen keys are supported (no plugin or post-quantum keys)`,
      );
    }
    identities.push(identity);
  }
  if (identities.length === 0) {
    throw new BackupError('CONFIG_INVALID', `${label} holds no AGE-SECRET-KEY-1... line; ${HOW_TO}`);
  }
  return identities;
}
