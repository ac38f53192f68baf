import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCompressStream, createDecompressStream } from '../src/pipeline/compression.js';
import {
  ParallelZstdCompress,
  type ParallelZstdCompressOptions,
} from '../src/pipeline/ParallelZstdCompress.js';

/** zstd frame magic number 0xFD2FB528, little-endian (RFC 8878 section 3.1.1). */
const FRAME_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** Text rows (compressible) then random bytes (not compressible) then text again. */
function mixed(bytes: number): Buffer {
  const rows: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes / 3; i++) {
    const row = `${i}\tthread-${i % 500}\tmemory ${i} ${(i * 7919) % 104729}\n`;
    rows.push(row);
    size += row.length;
  }
  const text = Buffer.from(rows.join(''));
  return Buffer.concat([text, randomBytes(Math.floor(bytes / 3)), text]).subarray(0, bytes);
}

async function compress(
  input: Buffer,
  chunkBytes: number,
  options: ParallelZstdCompressOptions = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length; at += chunkBytes) chunks.push(input.subarray(at, at + chunkBytes));
  return buffer(Readable.from(chunks).pipe(new ParallelZstdCompress(options)));
}

/** Number of zstd frames in `compressed`, walking frame by frame; each must start with the magic number. */
function countFrames(compressed: Buffer): number {
  // Decompress frame by frame with the one-shot API, which stops at the first frame end.
  let frames = 0;
  let rest = compressed;
  while (rest.length > 0) {
    expect(rest.subarray(0, 4).equals(FRAME_MAGIC)).toBe(true);
    const size = frameSize(rest);
    frames += 1;
    rest = rest.subarray(size);
  }
  return frames;
}

/**
 * Size of the zstd frame at the start of `data` (RFC 8878 section 3.1.1: magic, frame header, blocks
 * with 3-byte headers whose last bit marks the last block, optional 4-byte checksum).
 */
function frameSize(data: Buffer): number {
  const descriptor = data[4]!;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const checksum = (descriptor >> 2) & 1;
  const dictIdFlag = descriptor & 3;
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  at += [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  for (;;) {
    const header = data.readUIntLE(at, 3);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >> 3;
    at += 3 + (type === 1 ? 1 : size);
    if (last) break;
  }
  return at + (checksum ? 4 : 0);
}

describe('ParallelZstdCompress', () => {
  it('round-trips through node:zlib and the stock zstd CLI, one frame per frameBytes of input', async () => {
    const input = mixed(5 * 1024 * 1024 + 12_345);
    for (const chunkBytes of [1, 4096, 65_536, 3 * 1024 * 1024]) {
      const source = chunkBytes === 1 ? input.subarray(0, 50_000) : input;
      const out = await compress(source, chunkBytes, { frameBytes: 1024 * 1024 });
      expect(zlib.zstdDecompressSync(out).equals(source)).toBe(true);
      expect(execFileSync('zstd', ['-d', '-c'], { input: out, maxBuffer: 1 << 26 }).equals(source)).toBe(
        true,
      );
      expect(countFrames(out)).toBe(Math.ceil(source.length / (1024 * 1024)));
    }
  });

  it('emits frames in input order whatever order the lanes finish in', async () => {
    // Alternate incompressible (slow) and compressible (fast) frames across 3 lanes.
    const parts: Buffer[] = [];
    for (let i = 0; i < 12; i++) parts.push(i % 2 ? Buffer.alloc(256 * 1024, i) : randomBytes(256 * 1024));
    const input = Buffer.concat(parts);
    const out = await compress(input, 100_000, { frameBytes: 256 * 1024, lanes: 3 });
    expect(countFrames(out)).toBe(12);
    expect(zlib.zstdDecompressSync(out).equals(input)).toBe(true);
  });

  it('writes one valid empty frame for empty input', async () => {
    const out = await compress(Buffer.alloc(0), 1);
    expect(out.subarray(0, 4).equals(FRAME_MAGIC)).toBe(true);
    expect(zlib.zstdDecompressSync(out).length).toBe(0);
    expect(execFileSync('zstd', ['-d', '-c'], { input: out }).length).toBe(0);
  });

  it('is what createCompressStream uses for zstd, and createDecompressStream reads it', async () => {
    const input = mixed(4 * 1024 * 1024 + 1);
    const compressor = createCompressStream({ algorithm: 'zstd', level: 3 });
    expect(compressor).toBeInstanceOf(ParallelZstdCompress);
    const out = await buffer(Readable.from([input]).pipe(compressor!));
    expect(countFrames(out)).toBe(3);
    const back = await buffer(Readable.from([out]).pipe(createDecompressStream('zstd')!));
    expect(back.equals(input)).toBe(true);
  });

  it('honours the level', async () => {
    const input = mixed(2 * 1024 * 1024);
    const fast = await compress(input, 65_536, { level: 1 });
    const small = await compress(input, 65_536, { level: 19 });
    expect(small.length).toBeLessThan(fast.length);
    expect(zlib.zstdDecompressSync(small).equals(input)).toBe(true);
  });

  it('keeps a bounded number of frames in flight when the reader is slow (backpressure)', async () => {
    const frameBytes = 256 * 1024;
    const lanes = 2;
    let produced = 0;
    const source = new Readable({
      highWaterMark: 65_536,
      read() {
        if (produced >= 64 * frameBytes) return this.push(null);
        produced += 65_536;
        this.push(randomBytes(65_536));
      },
    });
    const compressor = new ParallelZstdCompress({ frameBytes, lanes });
    let consumed = 0;
    let maxAhead = 0;
    const slow = new Transform({
      highWaterMark: 1,
      transform(chunk: Buffer, _e, callback) {
        consumed += chunk.length;
        maxAhead = Math.max(maxAhead, produced - consumed);
        setTimeout(() => callback(), 2);
      },
    });
    await pipeline(source, compressor, slow, new PassThrough().resume());
    expect(consumed).toBeGreaterThanOrEqual(64 * frameBytes); // random data does not shrink
    // What may be in flight at once: the compressor's writable and readable buffers (1 MiB each),
    // the block being filled, one block per lane, a finished frame pushed past the readable
    // buffer's mark, the frame the slow reader holds (lanes + 3 blocks), a 64 KiB source chunk on
    // either side, and one frame for the frames' headers and the order in which lanes finish:
    // ~14.5 frames (seen: up to 13.25 on a loaded machine). Without backpressure the source,
    // which is much faster than the reader, would run all 64 frames ahead.
    const bound =
      compressor.writableHighWaterMark +
      compressor.readableHighWaterMark +
      (lanes + 3 + 1) * frameBytes +
      2 * 65_536;
    expect(maxAhead).toBeLessThanOrEqual(bound);
    // And the bound itself stays far from those 64 frames (it grows with the stream buffers).
    expect(bound).toBeLessThan(16 * frameBytes);
  });

  it('fails the stream when a lane fails, and destroy() stops every lane', async () => {
    const compressor = new ParallelZstdCompress({ frameBytes: 1024 });
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(10_000);
        throw new Error('source broke');
      })(),
    );
    await expect(pipeline(failing, compressor, new PassThrough().resume())).rejects.toThrow('source broke');
    expect(compressor.destroyed).toBe(true);

    const bad = new ParallelZstdCompress({ frameBytes: 1024 });
    const lane = (bad as unknown as { lanes: { stream: zlib.ZstdCompress }[] }).lanes[0]!.stream;
    const done = buffer(bad).catch((error: unknown) => error);
    lane.destroy(new Error('zstd context failed'));
    expect(await done).toMatchObject({ message: 'zstd context failed' });
    expect(bad.destroyed).toBe(true);
  });

  it('writes a content checksum in every frame, so a flipped byte fails decompression', async () => {
    const input = mixed(3 * 1024 * 1024);
    const out = await compress(input, 65_536, { frameBytes: 1024 * 1024 });
    expect((out[4]! >> 2) & 1).toBe(1); // Content_Checksum_flag of the first frame descriptor
    const bad = Buffer.from(out);
    bad[Math.floor(bad.length / 2)]! ^= 0x01;
    expect(() => zlib.zstdDecompressSync(bad)).toThrow();
    expect(() =>
      execFileSync('zstd', ['-d', '-c'], { input: bad, stdio: 'pipe', maxBuffer: 1 << 26 }),
    ).toThrow();
  });

  it('rejects a frame size below one byte', () => {
    expect(() => new ParallelZstdCompress({ frameBytes: 0 })).toThrow(/frameBytes/);
  });
});
