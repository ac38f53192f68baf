import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { BatchedFileWriter } from '../src/storage/BatchedFileWriter.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batched-writer-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** The prototype of node:fs/promises FileHandle, to spy on `writev` and `sync`. */
async function fileHandlePrototype(): Promise<{ writev: unknown; sync: unknown }> {
  const probe = await open(join(dir, 'probe'), 'w');
  await probe.close();
  return Object.getPrototypeOf(probe) as { writev: unknown; sync: unknown };
}

/** `count` chunks of 1..max random bytes. */
function randomChunks(count: number, max: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => randomBytes(1 + ((i * 7919) % max)));
}

const openFds = () => readdirSync('/proc/self/fd').length;

it('writes many small chunks in few writev calls, byte for byte, and fsyncs before finishing', async () => {
  const proto = await fileHandlePrototype();
  const writev = vi.spyOn(proto as { writev: (...a: unknown[]) => unknown }, 'writev');
  const sync = vi.spyOn(proto as { sync: () => Promise<void> }, 'sync');
  const chunks = randomChunks(3000, 20_000); // ~30 MB in 1..20,000-byte pieces
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const progress: number[] = [];
  const path = join(dir, 'out');
  const writer = new BatchedFileWriter(path, { onProgress: (b) => progress.push(b) });
  await pipeline(Readable.from(chunks), writer);

  expect(Buffer.compare(await readFile(path), Buffer.concat(chunks))).toBe(0);
  expect(writer.bytes).toBe(total);
  expect(progress.at(-1)).toBe(total);
  expect(progress.every((b, i) => i === 0 || b > progress[i - 1]!)).toBe(true);
  // One writev per MiB (+ the remainder), not one write per chunk.
  expect(writev.mock.calls.length).toBeLessThanOrEqual(Math.ceil(total / (1 << 20)) + 1);
  expect(writev.mock.calls.length).toBeGreaterThan(1);
  expect(sync).toHaveBeenCalledTimes(1);
});

it('finishes a short write (writev wrote fewer bytes) with the rest', async () => {
  const proto = (await fileHandlePrototype()) as {
    writev: (buffers: Buffer[]) => Promise<{ bytesWritten: number; buffers: Buffer[] }>;
  };
  const real = proto.writev;
  let shortened = 0;
  vi.spyOn(proto, 'writev').mockImplementation(function (this: unknown, buffers: Buffer[]) {
    // Every other call writes only the first buffer and half of the second.
    if (shortened++ % 2 === 0 && buffers.length > 1) {
      const partial = [buffers[0]!, buffers[1]!.subarray(0, Math.floor(buffers[1]!.length / 2))];
      return real.call(this, partial);
    }
    return real.call(this, buffers);
  });
  const chunks = randomChunks(400, 9000);
  const path = join(dir, 'short');
  await pipeline(Readable.from(chunks), new BatchedFileWriter(path, { batchBytes: 64 * 1024 }));
  expect(shortened).toBeGreaterThan(2);
  expect(Buffer.compare(await readFile(path), Buffer.concat(chunks))).toBe(0);
});

it('refuses an existing file (EEXIST) and leaves it as it was', async () => {
  const path = join(dir, 'exists');
  await writeFile(path, 'keep me');
  await expect(
    pipeline(Readable.from([Buffer.from('new')]), new BatchedFileWriter(path)),
  ).rejects.toMatchObject({
    code: 'EEXIST',
  });
  expect(await readFile(path, 'utf8')).toBe('keep me');
});

it('closes its file when the source fails, and reports the source error', async () => {
  const before = openFds();
  const path = join(dir, 'failed');
  async function* failing() {
    yield randomBytes(3 << 20);
    throw new Error('source broke');
  }
  await expect(pipeline(Readable.from(failing()), new BatchedFileWriter(path))).rejects.toThrow(
    'source broke',
  );
  await new Promise((r) => setTimeout(r, 50));
  expect(openFds()).toBe(before);
});

it('rejects a batch size that is not positive', () => {
  expect(() => new BatchedFileWriter(join(dir, 'x'), { batchBytes: 0 })).toThrow(RangeError);
});
