import { execFileSync } from 'node:child_process';
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgeDecryptor } from '../src/encryption/createAgeDecryptor.js';
import { createAgeEncryptor } from '../src/encryption/createAgeEncryptor.js';

const MiB = 1 << 20;
const TOTAL = 64 * MiB;

let dir: string;
let keyFile: string;
let recipient: string;
let identity: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'age-memory-'));
  keyFile = join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  recipient = execFileSync('age-keygen', ['-y', keyFile]).toString().trim();
  identity = (await readFile(keyFile, 'utf8')).match(/AGE-SECRET-KEY-1\S+/)![0];
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** 64 MiB of incompressible data in 1 MiB chunks, generated lazily (never held whole). */
function source(total = TOTAL, hash?: Hash): Readable {
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      // A fresh copy with a changing first word, so no two chunks are equal.
      const chunk = Buffer.from(block);
      chunk.writeUInt32BE(sent / MiB, 0);
      sent += chunk.length;
      hash?.update(chunk);
      this.push(chunk);
    },
  });
}

/** Counts and hashes what reaches it, yielding to the event loop per chunk (a slowish consumer). */
class Sink extends Writable {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor() {
    super({ highWaterMark: MiB });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    setImmediate(callback);
  }
}

// A full GC before each sample, so that what is measured is memory still held (buffered) and not
// garbage V8 has not collected yet: 64 MiB of freed chunks would otherwise look like growth.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Measured {
  /** Peak RSS over the start, sampled every 100 ms after a full GC, in bytes. */
  rssGrowth: number;
  /** Peak bytes queued inside the given streams (readable + writable buffers). */
  buffered: number;
}

/** Runs `run` while sampling RSS and the buffers of `streams`. */
async function measure(run: () => Promise<void>, streams: Duplex[]): Promise<Measured> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const start = process.memoryUsage.rss();
  let rss = start;
  let buffered = 0;
  const bufferTimer = setInterval(() => {
    const now = streams.reduce((sum, s) => sum + s.readableLength + s.writableLength, 0);
    buffered = Math.max(buffered, now);
  }, 2);
  const rssTimer = setInterval(() => {
    gc();
    // Backing stores of dead ArrayBuffers are freed by a concurrent sweeper: sample a bit later.
    setTimeout(() => {
      rss = Math.max(rss, process.memoryUsage.rss());
    }, 10);
  }, 100);
  try {
    await run();
  } finally {
    clearInterval(bufferTimer);
    clearInterval(rssTimer);
  }
  return { rssGrowth: rss - start, buffered };
}

function report(label: string, m: Measured): void {
  console.log(
    `${label}: peak RSS growth ${(m.rssGrowth / MiB).toFixed(1)} MiB (after GC), ` +
      `peak buffered in the age streams ${(m.buffered / MiB).toFixed(2)} MiB`,
  );
}

describe('bounded memory', () => {
  beforeAll(async () => {
    // Warm up (JIT, crypto, module state) so one-time allocations do not count as growth.
    const encryptor = createAgeEncryptor({ recipients: [recipient] });
    await pipeline(
      source(4 * MiB),
      encryptor.createEncryptStream(),
      createAgeDecryptor({ identities: [identity] }).createDecryptStream(encryptor.info),
      new Sink(),
    );
  });

  it('encrypts and decrypts a 64 MiB stream with RSS growth well below 64 MiB', async () => {
    const expected = createHash('sha256');
    const plain = source(TOTAL, expected);
    const encryptor = createAgeEncryptor({ recipients: [recipient] });
    const decryptor = createAgeDecryptor({ identities: [identity] });
    const out = new Sink();
    const encrypt = encryptor.createEncryptStream();
    const decrypt = decryptor.createDecryptStream(encryptor.info);
    const m = await measure(() => pipeline(plain, encrypt, decrypt, out), [encrypt, decrypt]);
    expect(out.bytes).toBe(TOTAL);
    expect(out.hash.digest('hex')).toBe(expected.digest('hex'));
    report('age round trip of 64 MiB', m);
    expect(m.buffered).toBeLessThan(4 * MiB);
    expect(m.rssGrowth).toBeLessThan(32 * MiB);
  });

  it('encrypts a 64 MiB stream with RSS growth well below 64 MiB', async () => {
    const encryptor = createAgeEncryptor({ recipients: [recipient] });
    const out = new Sink();
    const encrypt = encryptor.createEncryptStream();
    const m = await measure(() => pipeline(source(), encrypt, out), [encrypt]);
    // age's STREAM adds a 16-byte tag per 64 KiB chunk, plus the header and nonce.
    expect(out.bytes).toBeGreaterThan(TOTAL + 1024 * 16);
    expect(out.bytes).toBeLessThan(TOTAL + 1024 * 16 + 400);
    report('age encrypt of 64 MiB', m);
    expect(m.buffered).toBeLessThan(3 * MiB);
    expect(m.rssGrowth).toBeLessThan(32 * MiB);
  });

  it('reports encrypt throughput next to the age CLI (informational, no timing assertion)', async () => {
    const encryptor = createAgeEncryptor({ recipients: [recipient] });
    const out = new Sink();
    const started = performance.now();
    await pipeline(source(), encryptor.createEncryptStream(), out);
    const seconds = (performance.now() - started) / 1000;
    const plainPath = join(dir, 'plain.bin');
    execFileSync('head', ['-c', String(TOTAL), '/dev/urandom'], {
      stdio: ['ignore', openSync(plainPath, 'w'), 'inherit'],
    });
    const cliStarted = performance.now();
    execFileSync('age', ['-e', '-r', recipient, '-o', '/dev/null', plainPath]);
    const cliSeconds = (performance.now() - cliStarted) / 1000;
    console.log(
      `encrypt 64 MiB: age-encryption stream ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s, ` +
        `age CLI ${(TOTAL / 1e6 / cliSeconds).toFixed(0)} MB/s (ratio ${(seconds / cliSeconds).toFixed(2)})`,
    );
    expect(out.bytes).toBeGreaterThan(TOTAL);
  });
});
