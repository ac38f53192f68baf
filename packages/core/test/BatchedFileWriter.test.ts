import { randomBytes } from 'node:crypto';
import fs, { readdirSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedFileWriter, type FileWriteMode } from '../src/storage/BatchedFileWriter.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batched-writer-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  // The writer imports `writevSync` by name: ES module bindings of built-ins follow the CommonJS
  // object only after syncBuiltinESMExports (node:module docs).
  syncBuiltinESMExports();
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

type Writev = (...args: unknown[]) => unknown;

/**
 * Spies on the writev that `mode` uses: `fs.writevSync(fd, buffers)` (sync) or the FileHandle's
 * `writev(buffers)` (async), optionally replaced by `impl(real, this, buffers, args)`, where `args`
 * are the call's own arguments; returns the spy.
 */
async function spyWritev(
  mode: FileWriteMode,
  impl?: (real: Writev, self: unknown, buffers: Buffer[], args: unknown[]) => unknown,
) {
  const owner = (mode === 'sync' ? fs : await fileHandlePrototype()) as Record<string, Writev>;
  const name = mode === 'sync' ? 'writevSync' : 'writev';
  const real = owner[name]!;
  const spy = impl
    ? vi.spyOn(owner, name).mockImplementation(function (this: unknown, ...args: unknown[]) {
        const buffers = (mode === 'sync' ? args[1] : args[0]) as Buffer[];
        return impl(real, this, buffers, args);
      })
    : vi.spyOn(owner, name);
  syncBuiltinESMExports();
  return spy;
}

describe.each(['sync', 'async'] as const)('writes: %s', (mode) => {
  it('writes many small chunks in few writev calls, byte for byte, and fsyncs before finishing', async () => {
    const proto = await fileHandlePrototype();
    const writev = await spyWritev(mode);
    const other = await spyWritev(mode === 'sync' ? 'async' : 'sync');
    const sync = vi.spyOn(proto as { sync: () => Promise<void> }, 'sync');
    const chunks = randomChunks(3000, 20_000); // ~30 MB in 1..20,000-byte pieces
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const progress: number[] = [];
    const path = join(dir, 'out');
    const writer = new BatchedFileWriter(path, {
      onProgress: (b) => progress.push(b),
      ...(mode === 'async' ? { writes: mode } : {}), // sync: the default
    });
    await pipeline(Readable.from(chunks), writer);

    expect(Buffer.compare(await readFile(path), Buffer.concat(chunks))).toBe(0);
    expect(writer.bytes).toBe(total);
    expect(progress.at(-1)).toBe(total);
    expect(progress.every((b, i) => i === 0 || b > progress[i - 1]!)).toBe(true);
    // One writev per MiB (+ the remainder), not one write per chunk, and only the mode's own.
    expect(writev.mock.calls.length).toBeLessThanOrEqual(Math.ceil(total / (1 << 20)) + 1);
    expect(writev.mock.calls.length).toBeGreaterThan(1);
    expect(other).not.toHaveBeenCalled();
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('finishes a short write (writev wrote fewer bytes) with the rest', async () => {
    let shortened = 0;
    await spyWritev(mode, (real, self, buffers, args) => {
      // Every other call writes only the first buffer and half of the second.
      if (shortened++ % 2 === 0 && buffers.length > 1) {
        const partial = [buffers[0]!, buffers[1]!.subarray(0, Math.floor(buffers[1]!.length / 2))];
        return mode === 'sync' ? real.call(self, args[0], partial) : real.call(self, partial);
      }
      return real.apply(self, args);
    });
    const chunks = randomChunks(400, 9000);
    const path = join(dir, 'short');
    await pipeline(
      Readable.from(chunks),
      new BatchedFileWriter(path, { batchBytes: 64 * 1024, writes: mode }),
    );
    expect(shortened).toBeGreaterThan(2);
    expect(Buffer.compare(await readFile(path), Buffer.concat(chunks))).toBe(0);
  });

  it('fails with the write error (ENOSPC) and closes its file', async () => {
    const before = openFds();
    await spyWritev(mode, () => {
      const error = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      if (mode === 'sync') throw error;
      return Promise.reject(error);
    });
    const path = join(dir, 'full');
    await expect(
      pipeline(Readable.from(randomChunks(300, 9000)), new BatchedFileWriter(path, { writes: mode })),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBe(before);
  });
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

it('rejects a batch size that is not positive, and an unknown write mode', () => {
  expect(() => new BatchedFileWriter(join(dir, 'x'), { batchBytes: 0 })).toThrow(RangeError);
  expect(() => new BatchedFileWriter(join(dir, 'x'), { writes: 'direct' as FileWriteMode })).toThrow(
    "writes must be 'sync' or 'async'",
  );
});
