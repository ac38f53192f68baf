/**
 * Counting the newline bytes of a byte range fast: a 16-byte-wide WebAssembly SIMD loop (compare,
 * bitmask, popcount), ~10x a JavaScript byte loop and without the per-call cost of
 * `Buffer#indexOf`. Falls back to a JavaScript loop where WebAssembly SIMD is not available.
 */

/** LEB128 of an unsigned 32-bit integer. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'latin1')];
}

/**
 * The module: memory `mem` (exported, grown from JavaScript) and `count(start, end) -> i32`, the
 * number of bytes equal to 10 in `mem[start..end)`.
 */
function moduleBytes(): Uint8Array {
  const I32 = 0x7f;
  // local 0 = p, local 1 = end, local 2 = total
  const code = [
    ...[0x01, 0x01, I32], // one extra i32 local
    // 16 bytes at a time: total += popcnt(bitmask(v128.load(p) == splat(10)))
    ...[0x02, 0x40, 0x03, 0x40],
    ...[0x20, 0x00, 0x41, 0x10, 0x6a, 0x20, 0x01, 0x4b, 0x0d, 0x01], // if p + 16 > end: break
    ...[0x20, 0x02, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00], // total, v128.load p
    ...[0x41, 0x0a, 0xfd, 0x0f, 0xfd, 0x23, 0xfd, 0x64, 0x69], // splat 10, eq, bitmask, popcnt
    ...[0x6a, 0x21, 0x02], // total += ...
    ...[0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, 0x0c, 0x00], // p += 16; continue
    ...[0x0b, 0x0b],
    // the rest byte by byte
    ...[0x02, 0x40, 0x03, 0x40],
    ...[0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01], // if p >= end: break
    ...[0x20, 0x02, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x41, 0x0a, 0x46, 0x6a, 0x21, 0x02], // total += mem[p] == 10
    ...[0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x0c, 0x00], // p += 1; continue
    ...[0x0b, 0x0b],
    ...[0x20, 0x02, 0x0b], // return total
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x01, 0x60, 0x02, I32, I32, 0x01, I32]), // type: (i32, i32) -> i32
    ...section(3, [0x01, 0x00]), // one function of type 0
    ...section(5, [0x01, 0x00, 0x01]), // one memory, min 1 page
    ...section(7, [0x02, ...name('count'), 0x00, 0x00, ...name('mem'), 0x02, 0x00]),
    ...section(10, [0x01, ...uleb(code.length), ...code]),
  ]);
}

/** The parts of the WebAssembly API used here (the package's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Counts bytes equal to `\n` (10) in `b[start..end)`. */
export type NewlineCounter = (b: Uint8Array, start: number, end: number) => number;

/** The JavaScript version (also the reference of the tests). */
export function countNewlinesJs(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (b[i] === 10) n++;
  return n;
}

/**
 * Creates a counter: WebAssembly SIMD when the runtime has it, else {@link countNewlinesJs}. Each
 * counter owns its WebAssembly memory (64 KiB, grown to the largest range counted).
 */
export function createNewlineCounter(): NewlineCounter {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  let instance: { exports: Record<string, unknown> };
  try {
    if (wasm === undefined) return countNewlinesJs;
    instance = new wasm.Instance(new wasm.Module(moduleBytes()));
  } catch {
    return countNewlinesJs; // no SIMD (or no WebAssembly) in this runtime
  }
  const memory = instance.exports['mem'] as WasmMemory;
  const count = instance.exports['count'] as (start: number, end: number) => number;
  let view = new Uint8Array(memory.buffer);
  return (b, start, end) => {
    const length = end - start;
    if (length < 64) return countNewlinesJs(b, start, end);
    if (length > view.length) {
      memory.grow(Math.ceil((length - view.length) / 65536));
      view = new Uint8Array(memory.buffer);
    }
    view.set(b.subarray(start, end), 0);
    return count(0, length);
  };
}
