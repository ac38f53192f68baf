import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgeDecryptor } from '../src/encryption/createAgeDecryptor.js';
import { createAgeEncryptor } from '../src/encryption/createAgeEncryptor.js';
import { loadAgeIdentities } from '../src/encryption/loadAgeIdentities.js';
import { recipientFingerprint } from '../src/encryption/recipientFingerprint.js';
import { resolveAgeIdentities } from '../src/encryption/resolveAgeIdentities.js';
import { type BackupError, isBackupError } from '../src/errors.js';

let dir: string;
let keyFile: string;
let secret: string;
let recipient: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'age-keys-'));
  keyFile = join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  secret = (await readFile(keyFile, 'utf8')).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
  recipient = execFileSync('age-keygen', ['-y', keyFile]).toString().trim();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

function caught(fn: () => unknown): BackupError {
  try {
    fn();
  } catch (error) {
    return error as BackupError;
  }
  throw new Error('expected a throw');
}

describe('recipientFingerprint', () => {
  it('is the first 16 hex chars of sha256 of the recipient string (as sha256sum prints it)', () => {
    const expected = execFileSync('sh', ['-c', 'printf %s "$1" | sha256sum | cut -c1-16', 'sh', recipient])
      .toString()
      .trim();
    expect(recipientFingerprint(recipient)).toBe(expected);
    expect(recipientFingerprint(recipient)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('createAgeEncryptor options', () => {
  it('names the invalid recipient by index and never accepts non-X25519 keys', () => {
    const bad = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q'); // checksum broken
    for (const wrong of [bad, secret, 'ssh-ed25519 AAAA', '', `age1pq1${'q'.repeat(60)}`]) {
      const error = caught(() => createAgeEncryptor({ recipients: [recipient, wrong] }));
      expect(isBackupError(error, 'CONFIG_INVALID')).toBe(true);
      expect(error.message).toContain('encryption.recipients[1]');
      expect(error.message).not.toContain('AGE-SECRET-KEY');
    }
  });

  it('needs exactly one of recipients and passphrase', () => {
    expect(caught(() => createAgeEncryptor({})).code).toBe('CONFIG_INVALID');
    expect(caught(() => createAgeEncryptor({ recipients: [] })).code).toBe('CONFIG_INVALID');
    const both = caught(() => createAgeEncryptor({ recipients: [recipient], passphrase: 'p' }));
    expect(both.code).toBe('CONFIG_INVALID');
    expect(both.message).toContain('not both');
    expect(caught(() => createAgeEncryptor({ passphrase: '' })).message).toContain('encryption.passphrase');
    expect(caught(() => createAgeEncryptor({ passphrase: 'p', scryptWorkFactor: 30 })).message).toContain(
      'encryption.scryptWorkFactor',
    );
  });
});

describe('createAgeDecryptor options', () => {
  it('refuses invalid identities without echoing them, and needs at least one key', () => {
    const error = caught(() => createAgeDecryptor({ identities: [secret, 'AGE-SECRET-KEY-1NOTAKEY'] }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('identities[1]');
    expect(error.message).not.toContain('NOTAKEY');
    expect(caught(() => createAgeDecryptor({})).message).toContain('BACKUP_AGE_IDENTITY');
  });
});

describe('loadAgeIdentities', () => {
  it('reads an age-keygen file (comments, several keys), and the key text itself', async () => {
    expect(await loadAgeIdentities(keyFile)).toEqual([secret]);
    const second = join(dir, 'second.txt');
    execFileSync('age-keygen', ['-o', second], { stdio: 'ignore' });
    const secondKey = (await readFile(second, 'utf8')).match(/AGE-SECRET-KEY-1\S+/)![0];
    const both = join(dir, 'both.txt');
    await writeFile(
      both,
      `# ops key\n\n${await readFile(keyFile, 'utf8')}\r\n  ${secondKey.toLowerCase()}  \n`,
    );
    expect(await loadAgeIdentities(both)).toEqual([secret, secondKey]);
    expect(await loadAgeIdentities(`  ${secret}\n`)).toEqual([secret]);
    // A whole key.txt pasted into an environment variable (comments first).
    expect(await loadAgeIdentities(await readFile(keyFile, 'utf8'))).toEqual([secret]);
  });

  it('fails with CONFIG_INVALID naming the file: missing, unreadable, a directory, no key, a bad line', async () => {
    const missing = join(dir, 'nope.txt');
    const e1 = await rejection(loadAgeIdentities(missing));
    expect(isBackupError(e1, 'CONFIG_INVALID')).toBe(true);
    expect(e1.message).toContain(missing);
    expect(e1.message).toContain('ENOENT');

    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.txt');
      await writeFile(locked, secret);
      await chmod(locked, 0o000);
      const e2 = await rejection(loadAgeIdentities(locked));
      expect(e2.code).toBe('CONFIG_INVALID');
      expect(e2.message).toContain(locked);
    }

    const e3 = await rejection(loadAgeIdentities(dir));
    expect(e3.code).toBe('CONFIG_INVALID');
    expect(e3.message).toContain('not a regular file');

    const comments = join(dir, 'comments.txt');
    await writeFile(comments, '# created: 2026-01-21\n# public key: age1...\n');
    const e4 = await rejection(loadAgeIdentities(comments));
    expect(e4.code).toBe('CONFIG_INVALID');
    expect(e4.message).toContain(comments);
    expect(e4.message).toContain('age-keygen');

    const broken = join(dir, 'broken.txt');
    const typo = secret.slice(0, 30) + (secret[30] === 'Q' ? 'P' : 'Q') + secret.slice(31);
    await writeFile(broken, `# key\n${secret}\n${typo}\n`);
    const e5 = await rejection(loadAgeIdentities(broken));
    expect(e5.code).toBe('CONFIG_INVALID');
    expect(e5.message).toContain('Line 3');
    expect(e5.message).not.toContain(typo.slice(16));

    // A mistyped key given directly is reported as a bad key, never echoed as a file name.
    const e6 = await rejection(loadAgeIdentities(typo));
    expect(e6.code).toBe('CONFIG_INVALID');
    expect(e6.message).not.toContain(typo.slice(16));
  });
});

describe('resolveAgeIdentities', () => {
  it('uses the flag first, then BACKUP_AGE_IDENTITY (path or key), else undefined', async () => {
    const other = join(dir, 'other.txt');
    execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
    const otherKey = (await readFile(other, 'utf8')).match(/AGE-SECRET-KEY-1\S+/)![0];

    expect(
      await resolveAgeIdentities({ identityFile: keyFile, env: { BACKUP_AGE_IDENTITY: other } }),
    ).toEqual([secret]);
    expect(await resolveAgeIdentities({ env: { BACKUP_AGE_IDENTITY: other } })).toEqual([otherKey]);
    expect(await resolveAgeIdentities({ env: { BACKUP_AGE_IDENTITY: otherKey } })).toEqual([otherKey]);
    expect(
      await resolveAgeIdentities({ identityFile: '', env: { BACKUP_AGE_IDENTITY: ' ' } }),
    ).toBeUndefined();
    expect(await resolveAgeIdentities({ env: {} })).toBeUndefined();

    const fromEnv = await rejection(
      resolveAgeIdentities({ env: { BACKUP_AGE_IDENTITY: join(dir, 'gone.txt') } }),
    );
    expect(isBackupError(fromEnv, 'CONFIG_INVALID')).toBe(true);
    expect(fromEnv.message).toContain('BACKUP_AGE_IDENTITY');
    const fromFlag = await rejection(resolveAgeIdentities({ identityFile: join(dir, 'gone.txt'), env: {} }));
    expect(fromFlag.message).toContain('--identity');
  });
});
