import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackupError } from '../src/errors.js';
import type { ArtifactRecord } from '../src/manifest/schema.js';
import { resolveCompression } from '../src/pipeline/compression.js';
import { readArtifact } from '../src/pipeline/readArtifact.js';
import { writeArtifact } from '../src/pipeline/writeArtifact.js';
import { spawnSource } from '../src/process/spawnSource.js';
import { FsStorage } from '../src/storage/FsStorage.js';

let dir: string;
let storage: FsStorage;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pipeline-'));
  storage = new FsStorage({ path: dir });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Half compressible text, half random bytes: 3 MiB. */
function sample(): Buffer {
  return Buffer.concat([Buffer.from('agent memory row '.repeat(90_000)), randomBytes(1_500_000)]);
}

function record(
  key: string,
  algorithm: 'zstd' | 'gzip' | 'none',
  d: Awaited<ReturnType<typeof writeArtifact>>,
): ArtifactRecord {
  return {
    name: key,
    key,
    unit: 'u',
    mediaType: 'application/octet-stream',
    ...d,
    compression: { algorithm },
    encryption: null,
    metadata: {},
  };
}

describe('writeArtifact / readArtifact', () => {
  for (const algorithm of ['zstd', 'gzip', 'none'] as const) {
    it(`round-trips with ${algorithm} and records both digests`, async () => {
      const data = sample();
      const key = `rt/${algorithm}`;
      const digests = await writeArtifact(storage, key, Readable.from([data]), {
        compression: resolveCompression({ algorithm }),
      });
      expect(digests.plaintextBytes).toBe(data.length);
      const stored = await readFile(join(dir, 'rt', algorithm));
      expect(digests.storedBytes).toBe(stored.length);
      if (algorithm !== 'none') expect(stored.length).toBeLessThan(data.length);
      const back = await buffer(await readArtifact(storage, record(key, algorithm, digests)));
      expect(back.equals(data)).toBe(true);
    });
  }

  it('writes zstd that the stock zstd CLI decompresses', async () => {
    const data = sample();
    await writeArtifact(storage, 'cli/x.zst', Readable.from([data]), { compression: resolveCompression({}) });
    const out = execFileSync('zstd', ['-d', '-c', join(dir, 'cli', 'x.zst')], { maxBuffer: 1 << 26 });
    expect(out.equals(data)).toBe(true);
  });

  it('fails the artifact and stores nothing when the source process exits non-zero', async () => {
    const source = spawnSource('sh', [
      '-c',
      'head -c 2000000 /dev/urandom; echo "pg_dump: error: connection lost" >&2; exit 3',
    ]);
    const error = await writeArtifact(storage, 'fail/x.zst', source, {
      compression: resolveCompression({}),
    }).catch((e) => e);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect(String(error.message)).toContain('exited with code 3');
    expect(String(error.message)).toContain('connection lost');
    expect(await storage.head('fail/x.zst')).toBeUndefined();
  });

  it('fails with ABORTED and stores nothing when aborted', async () => {
    const controller = new AbortController();
    const source = spawnSource('sh', ['-c', 'cat /dev/zero']);
    setTimeout(() => controller.abort(), 100);
    const error = await writeArtifact(storage, 'abort/x', source, {
      compression: resolveCompression({}),
      signal: controller.signal,
    }).catch((e) => e);
    expect(isBackupError(error, 'ABORTED')).toBe(true);
    expect(await storage.head('abort/x')).toBeUndefined();
  });

  it('detects a flipped byte and a truncated object with CHECKSUM_MISMATCH', async () => {
    const data = sample();
    const digests = await writeArtifact(storage, 'bad/x', Readable.from([data]), {
      compression: resolveCompression({}),
    });
    const path = join(dir, 'bad', 'x');
    const bytes = await readFile(path);
    bytes[100] = bytes[100]! ^ 1;
    await writeFile(path, bytes);
    const flipped = await buffer(await readArtifact(storage, record('bad/x', 'zstd', digests))).catch(
      (e) => e,
    );
    expect(isBackupError(flipped, 'CHECKSUM_MISMATCH')).toBe(true);
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    const truncated = await buffer(await readArtifact(storage, record('bad/x', 'zstd', digests))).catch(
      (e) => e,
    );
    expect(isBackupError(truncated, 'CHECKSUM_MISMATCH')).toBe(true);
  });

  it('without compression records one digest for both and still checks a manifest whose plaintext digest differs', async () => {
    const data = sample();
    const digests = await writeArtifact(storage, 'plain/x', Readable.from([data]), {
      compression: resolveCompression({ algorithm: 'none' }),
    });
    expect(digests.storedSha256).toBe(digests.plaintextSha256);
    expect(digests.storedBytes).toBe(data.length);
    expect(digests.plaintextSha256).toBe(createHash('sha256').update(data).digest('hex'));
    // The stored check alone proves the plaintext when both digests agree...
    const back = await buffer(await readArtifact(storage, record('plain/x', 'none', digests)));
    expect(back.equals(data)).toBe(true);
    // ...and a manifest that records a different plaintext digest is still checked against it.
    const changed = { ...digests, plaintextSha256: '0'.repeat(64) };
    const error = await buffer(await readArtifact(storage, record('plain/x', 'none', changed))).catch(
      (e) => e,
    );
    expect(isBackupError(error, 'CHECKSUM_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/plaintext of plain\/x/);
  });

  it('rejects an out-of-range compression level naming the field', () => {
    expect(() => resolveCompression({ algorithm: 'zstd', level: 30 })).toThrow(/compression.level/);
  });
});

describe('readArtifact with a late consumer', () => {
  it('keeps a checksum error for a consumer that starts after the artifact failed', async () => {
    const data = Buffer.from('small artifact '.repeat(100));
    const digests = await writeArtifact(storage, 'late/x', Readable.from([data]), {
      compression: resolveCompression({}),
    });
    const path = join(dir, 'late', 'x');
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await writeFile(path, bytes);
    const stream = await readArtifact(storage, record('late/x', 'zstd', digests));
    await new Promise((r) => setTimeout(r, 200)); // the whole pipeline has run and failed by now
    const error = await buffer(stream).catch((e) => e);
    expect(isBackupError(error, 'CHECKSUM_MISMATCH')).toBe(true);
  });
});
