import { describe, expect, it } from 'vitest';
import { countNewlinesJs, createNewlineCounter } from '../src/countNewlines.js';

describe('createNewlineCounter', () => {
  it('uses WebAssembly SIMD on this Node', () => {
    expect(createNewlineCounter()).not.toBe(countNewlinesJs);
  });

  it('counts like the JavaScript loop on random ranges, short and long, at any alignment', () => {
    const count = createNewlineCounter();
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 500; round++) {
      const b = Buffer.alloc(Math.floor(random() * 5000));
      for (let i = 0; i < b.length; i++) b[i] = random() < 0.05 ? 10 : Math.floor(random() * 256);
      const start = Math.floor(random() * b.length);
      const end = start + Math.floor(random() * (b.length - start + 1));
      expect(count(b, start, end)).toBe(countNewlinesJs(b, start, end));
    }
  });

  it('grows its memory for ranges larger than 64 KiB', () => {
    const count = createNewlineCounter();
    const b = Buffer.alloc(300_000, 10);
    b.fill(0x41, 0, 17);
    expect(count(b, 3, 299_999)).toBe(299_999 - 17);
    expect(count(b, 0, 0)).toBe(0);
  });
});
