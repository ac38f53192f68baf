import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Duplex, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgeDecryptor } from '../src/encryption/createAgeDecryptor.js';
import { createAgeEncryptor } from '../src/encryption/createAgeEncryptor.js';
import { loadAgeIdentities } from '../src/encryption/loadAgeIdentities.js';
import { recipientFingerprint } from '../src/encryption/recipientFingerprint.js';
import { isBackupError } from '../src/errors.js';
import type { ArtifactRecord } from '../src/manifest/schema.js';
import { resolveCompression } from '../src/pipeline/compression.js';
import type { ArtifactEncryption } from '../src/pipeline/encryption.js';
import { readArtifact } from '../src/pipeline/readArtifact.js';
import { writeArtifact } from '../src/pipeline/writeArtifact.js';
import { spawnSource } from '../src/process/spawnSource.js';
import { BackupSetWriter } from '../src/set/BackupSetWriter.js';
import { FsStorage } from '../src/storage/FsStorage.js';

// Real parts both ways: keys come from the stock `age-keygen`, files are decrypted by the stock
// `age` CLI and files written by `age` are decrypted by our decryptor inside `readArtifact`.

let dir: string;
let storage: FsStorage;
const keys: { file: string; recipient: string; fingerprint: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'encryption-'));
  storage = new FsStorage({ path: join(dir, 'store') });
  for (const name of ['alice', 'bob', 'mallory']) {
    const file = join(dir, `${name}.txt`);
    execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', file]).toString().trim();
    keys.push({ file, recipient, fingerprint: recipientFingerprint(recipient) });
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const alice = () => keys[0]!;
const bob = () => keys[1]!;
const mallory = () => keys[2]!;

/** Half compressible text, half random bytes: about 3.3 MiB, several 64 KiB age chunks. */
function sample(): Buffer {
  return Buffer.concat([Buffer.from('agent memory row '.repeat(110_000)), randomBytes(1_500_000)]);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function record(
  key: string,
  algorithm: 'zstd' | 'gzip' | 'none',
  digests: Pick<ArtifactRecord, 'plaintextBytes' | 'plaintextSha256' | 'storedBytes' | 'storedSha256'>,
  encryption: ArtifactEncryption | null,
): ArtifactRecord {
  return {
    name: key.slice(key.lastIndexOf('/') + 1),
    key,
    unit: 'u',
    mediaType: 'application/octet-stream',
    ...digests,
    compression: { algorithm },
    encryption,
    metadata: {},
  };
}

/** Record for a file written outside the pipeline (by the age CLI). */
async function externalRecord(
  key: string,
  algorithm: 'zstd' | 'none',
  plaintext: Buffer,
  encryption: ArtifactEncryption,
): Promise<ArtifactRecord> {
  const stored = await readFile(join(storage.root, key));
  return record(
    key,
    algorithm,
    {
      plaintextBytes: plaintext.length,
      plaintextSha256: sha256(plaintext),
      storedBytes: stored.length,
      storedSha256: sha256(stored),
    },
    encryption,
  );
}

/** Runs `input` through a transform, collecting what it emitted before ending or failing. */
async function runThrough(stream: Duplex, input: Buffer): Promise<{ out: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<unknown>((resolve) => {
    stream.once('end', () => resolve(undefined));
    stream.once('error', resolve);
  });
  // Feed in 100 KB pieces, not aligned with age's 64 KiB chunks.
  const feeder = Readable.from(
    (function* () {
      for (let i = 0; i < input.length; i += 100_000) yield input.subarray(i, i + 100_000);
    })(),
  );
  feeder.pipe(stream);
  const error = await done;
  feeder.unpipe(stream);
  feeder.destroy();
  return { out: Buffer.concat(chunks), error };
}

/** `age -d` / `age -e -p` read the passphrase from a terminal: run them under `script` (a pty). */
function withPty(command: string, stdin: string): void {
  execFileSync('script', ['-qec', command, '/dev/null'], { input: stdin, stdio: ['pipe', 'ignore', 'pipe'] });
}

const recipientInfo = (...fingerprints: string[]): ArtifactEncryption => ({
  format: 'age',
  recipients: fingerprints,
  passphrase: false,
});

describe('createAgeEncryptor in the pipeline -> stock age CLI', () => {
  it('writeArtifact (zstd + age, FsStorage) output decrypts with `age -d -i key.txt | zstd -d`', async () => {
    const data = sample();
    const encryptor = createAgeEncryptor({ recipients: [alice().recipient] });
    expect(encryptor.suffix).toBe('.age');
    const key = 'pg/20260121-020000/outline.dump.zst.age';
    const digests = await writeArtifact(storage, key, Readable.from([data]), {
      compression: resolveCompression({}),
      encryptor,
    });
    const path = join(storage.root, key);
    const stored = await readFile(path);
    expect(stored.subarray(0, 25).toString()).toBe('age-encryption.org/v1\n-> ');
    expect(digests.storedBytes).toBe(stored.length);
    expect(digests.storedSha256).toBe(sha256(stored));
    expect(digests.plaintextSha256).toBe(sha256(data));
    const out = execFileSync(
      'bash',
      ['-o', 'pipefail', '-c', 'age -d -i "$1" "$2" | zstd -d -c', 'sh', alice().file, path],
      { maxBuffer: 1 << 26 },
    );
    expect(out.equals(data)).toBe(true);
  });

  it('encrypts an empty artifact to a valid age file', async () => {
    const encryptor = createAgeEncryptor({ recipients: [alice().recipient] });
    await writeArtifact(storage, 'empty/x.age', Readable.from([]), {
      compression: resolveCompression({ algorithm: 'none' }),
      encryptor,
    });
    const out = execFileSync('age', ['-d', '-i', alice().file, join(storage.root, 'empty/x.age')]);
    expect(out.length).toBe(0);
  });

  it('passphrase: our encryptor -> `age -d` (passphrase typed into a pty) and back into readArtifact', async () => {
    const data = sample();
    const passphrase = 'correct horse battery staple 42';
    const encryptor = createAgeEncryptor({ passphrase });
    expect(encryptor.info).toEqual({ format: 'age', recipients: [], passphrase: true });
    const key = 'pass/ours.zst.age';
    const digests = await writeArtifact(storage, key, Readable.from([data]), {
      compression: resolveCompression({}),
      encryptor,
    });
    const stored = await readFile(join(storage.root, key));
    expect(stored.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S+ 18\n/);
    const out = join(dir, 'pass-ours.zst');
    withPty(`age -d -o ${out} ${join(storage.root, key)}`, `${passphrase}\n`);
    expect(execFileSync('zstd', ['-d', '-c', out], { maxBuffer: 1 << 26 }).equals(data)).toBe(true);

    const back = await buffer(
      await readArtifact(storage, record(key, 'zstd', digests, encryptor.info), {
        decryptor: createAgeDecryptor({ passphrase }),
      }),
    );
    expect(back.equals(data)).toBe(true);
  });
});

describe('stock age CLI -> createAgeDecryptor in readArtifact', () => {
  it('`zstd | age -e -r` output reads back through readArtifact to the original bytes', async () => {
    const data = sample();
    const plainPath = join(dir, 'cli-plain.bin');
    await writeFile(plainPath, data);
    const key = 'cli/20260121-020000/data.zst.age';
    const path = join(storage.root, 'cli', '20260121-020000', 'data.zst.age');
    execFileSync('mkdir', ['-p', join(storage.root, 'cli', '20260121-020000')]);
    execFileSync('bash', [
      '-o',
      'pipefail',
      '-c',
      'zstd -q -c "$1" | age -e -r "$2" -o "$3"',
      'sh',
      plainPath,
      alice().recipient,
      path,
    ]);
    const artifact = await externalRecord(key, 'zstd', data, recipientInfo(alice().fingerprint));
    const identities = await loadAgeIdentities(alice().file);
    const back = await buffer(
      await readArtifact(storage, artifact, { decryptor: createAgeDecryptor({ identities }) }),
    );
    expect(back.equals(data)).toBe(true);
  });

  it('`age -e -p` output (passphrase typed into a pty) decrypts with the passphrase', async () => {
    const data = sample();
    const plainPath = join(dir, 'cli-pass-plain.bin');
    await writeFile(plainPath, data);
    const key = 'cli/pass.age';
    const passphrase = 'tidal-orbit-quartz-lantern-97';
    withPty(`age -e -p -o ${join(storage.root, key)} ${plainPath}`, `${passphrase}\n${passphrase}\n`);
    const artifact = await externalRecord(key, 'none', data, {
      format: 'age',
      recipients: [],
      passphrase: true,
    });
    const back = await buffer(
      await readArtifact(storage, artifact, { decryptor: createAgeDecryptor({ passphrase }) }),
    );
    expect(back.equals(data)).toBe(true);
    const wrong = await buffer(
      await readArtifact(storage, artifact, { decryptor: createAgeDecryptor({ passphrase: 'nope' }) }),
    ).catch((e: unknown) => e);
    expect(isBackupError(wrong, 'DECRYPT_FAILED')).toBe(true);
    expect(String((wrong as Error).message)).toContain('passphrase');
  });
});

describe('multiple recipients', () => {
  it('records both fingerprints; either identity decrypts (ours and the age CLI)', async () => {
    const data = sample();
    const encryptor = createAgeEncryptor({ recipients: [alice().recipient, ` ${bob().recipient}\n`] });
    expect(encryptor.info).toEqual(recipientInfo(alice().fingerprint, bob().fingerprint));
    const key = 'multi/data.zst.age';
    const digests = await writeArtifact(storage, key, Readable.from([data]), {
      compression: resolveCompression({}),
      encryptor,
    });
    const artifact = record(key, 'zstd', digests, encryptor.info);
    for (const who of [alice(), bob()]) {
      const decryptor = createAgeDecryptor({ identities: await loadAgeIdentities(who.file) });
      expect((await buffer(await readArtifact(storage, artifact, { decryptor }))).equals(data)).toBe(true);
      const cli = execFileSync(
        'bash',
        ['-o', 'pipefail', '-c', 'age -d -i "$1" "$2" | zstd -d -c', 'sh', who.file, join(storage.root, key)],
        { maxBuffer: 1 << 26 },
      );
      expect(cli.equals(data)).toBe(true);
    }
    // An identity file holding a non-matching key first, then the right one.
    const both = join(dir, 'mallory-and-bob.txt');
    await writeFile(both, `${await readFile(mallory().file, 'utf8')}\n${await readFile(bob().file, 'utf8')}`);
    const identities = await loadAgeIdentities(both);
    expect(identities).toHaveLength(2);
    const decryptor = createAgeDecryptor({ identities });
    expect((await buffer(await readArtifact(storage, artifact, { decryptor }))).equals(data)).toBe(true);
  });
});

describe('failures: DECRYPT_FAILED, never garbage', () => {
  let data: Buffer;
  let stored: Buffer;
  let artifact: ArtifactRecord;
  const key = 'fail/data.age';

  beforeAll(async () => {
    // No compression: the plaintext is the data, so emitted bytes can be compared to it directly.
    data = randomBytes(20 * 65536 + 1234);
    const encryptor = createAgeEncryptor({ recipients: [alice().recipient] });
    const digests = await writeArtifact(storage, key, Readable.from([data]), {
      compression: resolveCompression({ algorithm: 'none' }),
      encryptor,
    });
    stored = await readFile(join(storage.root, key));
    artifact = record(key, 'none', digests, encryptor.info);
  });

  it('a wrong identity fails with DECRYPT_FAILED naming fingerprints, and emits no plaintext', async () => {
    const decryptor = createAgeDecryptor({ identities: await loadAgeIdentities(mallory().file) });
    const stream = await readArtifact(storage, artifact, { decryptor });
    let emitted = 0;
    stream.on('data', (chunk: Buffer) => {
      emitted += chunk.length;
    });
    const error = await new Promise((resolve) => {
      stream.once('error', resolve);
      stream.once('end', () => resolve(undefined));
    });
    expect(isBackupError(error, 'DECRYPT_FAILED')).toBe(true);
    expect(String((error as Error).message)).toContain(alice().fingerprint);
    expect(String((error as Error).message)).toContain(mallory().fingerprint);
    expect(emitted).toBe(0);

    // The decryptor alone, without readArtifact's checks around it.
    const alone = await runThrough(decryptor.createDecryptStream(artifact.encryption!), stored);
    expect(isBackupError(alone.error, 'DECRYPT_FAILED')).toBe(true);
    expect(alone.out.length).toBe(0);
  });

  it('a flipped payload byte fails readArtifact (DECRYPT_FAILED or CHECKSUM_MISMATCH)', async () => {
    const tamperedKey = 'fail/tampered.age';
    const tampered = Buffer.from(stored);
    const at = stored.length - 5 * 65552; // inside the 5th STREAM chunk from the end
    tampered[at] = tampered[at]! ^ 0x01;
    await storage.put(tamperedKey, tampered);
    const stream = await readArtifact(
      storage,
      { ...artifact, key: tamperedKey },
      { decryptor: createAgeDecryptor({ identities: await loadAgeIdentities(alice().file) }) },
    );
    const error = await buffer(stream).catch((e: unknown) => e);
    expect(isBackupError(error, 'DECRYPT_FAILED') || isBackupError(error, 'CHECKSUM_MISMATCH')).toBe(true);
  });

  it('the decryptor alone rejects a flipped payload byte, emitting only authenticated chunks before it', async () => {
    const headerEnd = stored.indexOf('\n---') + 1;
    const payloadStart = stored.indexOf('\n', headerEnd) + 1 + 16; // after the MAC line and the nonce
    const chunk = 7;
    const tampered = Buffer.from(stored);
    const at = payloadStart + chunk * 65552 + 999;
    tampered[at] = tampered[at]! ^ 0x80;
    const decryptor = createAgeDecryptor({ identities: await loadAgeIdentities(alice().file) });
    const { out, error } = await runThrough(decryptor.createDecryptStream(artifact.encryption!), tampered);
    expect(isBackupError(error, 'DECRYPT_FAILED')).toBe(true);
    expect(String((error as Error).message)).toMatch(/authentication/);
    expect(out.length).toBeLessThanOrEqual(chunk * 65536);
    expect(out.equals(data.subarray(0, out.length))).toBe(true);
  });

  it('the decryptor alone rejects a tampered header, a truncated file and trailing garbage', async () => {
    const decryptor = createAgeDecryptor({ identities: await loadAgeIdentities(alice().file) });
    const info = artifact.encryption!;

    const header = Buffer.from(stored);
    const macLine = header.indexOf('\n---') + 5;
    header[macLine + 2] = header[macLine + 2] === 0x41 ? 0x42 : 0x41; // a base64 letter of the MAC
    const badHeader = await runThrough(decryptor.createDecryptStream(info), header);
    expect(isBackupError(badHeader.error, 'DECRYPT_FAILED')).toBe(true);
    expect(badHeader.out.length).toBe(0);

    // Cut at a chunk boundary: every chunk left authenticates, but the last one is not flagged last.
    const payloadStart = stored.indexOf('\n', stored.indexOf('\n---') + 1) + 1 + 16;
    for (const cut of [payloadStart + 3 * 65552, stored.length - 1, 40]) {
      const truncated = await runThrough(decryptor.createDecryptStream(info), stored.subarray(0, cut));
      expect(isBackupError(truncated.error, 'DECRYPT_FAILED')).toBe(true);
      expect(truncated.out.equals(data.subarray(0, truncated.out.length))).toBe(true);
      expect(truncated.out.length).toBeLessThan(data.length);
    }

    const trailing = await runThrough(
      decryptor.createDecryptStream(info),
      Buffer.concat([stored, Buffer.from('junk')]),
    );
    expect(isBackupError(trailing.error, 'DECRYPT_FAILED')).toBe(true);

    const notAge = await runThrough(decryptor.createDecryptStream(info), randomBytes(5000));
    expect(isBackupError(notAge.error, 'DECRYPT_FAILED')).toBe(true);
    expect(notAge.out.length).toBe(0);
  });

  it('an encrypted artifact read with no decryptor fails with DECRYPT_FAILED', async () => {
    const error = await readArtifact(storage, artifact).catch((e: unknown) => e);
    expect(isBackupError(error, 'DECRYPT_FAILED')).toBe(true);
    expect(String((error as Error).message)).toContain('BACKUP_AGE_IDENTITY');
  });

  it('a decryptor without the needed kind of key fails before reading', async () => {
    const passOnly = createAgeDecryptor({ passphrase: 'x' });
    const noIdentity = await runThrough(passOnly.createDecryptStream(artifact.encryption!), stored);
    expect(isBackupError(noIdentity.error, 'DECRYPT_FAILED')).toBe(true);
    expect(String((noIdentity.error as Error).message)).toContain('--identity');
    expect(noIdentity.out.length).toBe(0);

    const idOnly = createAgeDecryptor({ identities: await loadAgeIdentities(alice().file) });
    const noPass = await runThrough(
      idOnly.createDecryptStream({ format: 'age', recipients: [], passphrase: true }),
      stored,
    );
    expect(isBackupError(noPass.error, 'DECRYPT_FAILED')).toBe(true);
    expect(String((noPass.error as Error).message)).toContain('passphrase');
  });
});

describe('failures propagate through the encrypting and decrypting streams', () => {
  it('a source failing mid-stream fails the encrypted artifact and stores nothing', async () => {
    const source = spawnSource('sh', [
      '-c',
      'head -c 3000000 /dev/urandom; echo "pg_dump: error: connection lost" >&2; exit 3',
    ]);
    const error = await writeArtifact(storage, 'broken/x.zst.age', source, {
      compression: resolveCompression({}),
      encryptor: createAgeEncryptor({ recipients: [alice().recipient] }),
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect(await storage.head('broken/x.zst.age')).toBeUndefined();
  });

  it('an aborted write with encryption fails with ABORTED and stores nothing', async () => {
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        this.push(randomBytes(65536));
      },
    });
    const writing = writeArtifact(storage, 'aborted/x.age', endless, {
      compression: resolveCompression({ algorithm: 'none' }),
      encryptor: createAgeEncryptor({ recipients: [alice().recipient] }),
      signal: controller.signal,
      onProgress: (bytes) => {
        if (bytes > 4_000_000) controller.abort();
      },
    });
    expect(isBackupError(await writing.catch((e: unknown) => e), 'ABORTED')).toBe(true);
    expect(await storage.head('aborted/x.age')).toBeUndefined();
  });

  it('a consumer that stops reading a decrypting readArtifact early releases everything', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const encryptor = createAgeEncryptor({ recipients: [alice().recipient] });
    const key = 'early/x.age';
    const digests = await writeArtifact(storage, key, Readable.from([data]), {
      compression: resolveCompression({ algorithm: 'none' }),
      encryptor,
    });
    const stream = await readArtifact(storage, record(key, 'none', digests, encryptor.info), {
      decryptor: createAgeDecryptor({ identities: await loadAgeIdentities(alice().file) }),
    });
    let seen = 0;
    for await (const chunk of stream) {
      seen += (chunk as Buffer).length;
      if (seen > 1_000_000) break; // destroys the stream
    }
    expect(stream.destroyed).toBe(true);
    expect(seen).toBeLessThan(data.length);
  });
});

describe('manifest', () => {
  it('records fingerprints and no key material (BackupSetWriter, manifest.json as stored)', async () => {
    const encryptor = createAgeEncryptor({ recipients: [alice().recipient, bob().recipient] });
    const writer = await BackupSetWriter.create({
      storage,
      job: 'secure',
      compression: resolveCompression({}),
      encryptor,
      clock: () => new Date('2026-01-21T02:00:00Z'),
    });
    await writer.write({
      name: 'outline.dump',
      unit: 'outline',
      mediaType: 'application/octet-stream',
      source: Readable.from([sample()]),
    });
    await writer.commit({ engine: { name: 'test' }, units: [] });
    const raw = await readFile(join(storage.root, 'secure', '20260121-020000', 'manifest.json'), 'utf8');
    expect(raw).not.toMatch(/AGE-SECRET/i);
    expect(raw).not.toMatch(/age1/);
    for (const k of keys) expect(raw).not.toContain(k.recipient);
    const manifest = JSON.parse(raw);
    expect(manifest.artifacts[0].name).toBe('outline.dump.zst.age');
    expect(manifest.artifacts[0].encryption).toEqual(recipientInfo(alice().fingerprint, bob().fingerprint));
  });
});
