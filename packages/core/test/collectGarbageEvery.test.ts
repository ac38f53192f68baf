import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectGarbageEvery } from '../src/pipeline/collectGarbageEvery.js';

const global = globalThis as { gc?: unknown };
const original = global.gc;
afterEach(() => {
  global.gc = original;
});

describe('collectGarbageEvery', () => {
  it('scavenges each time the byte count passes another interval, and starts a full GC every major interval', () => {
    const gc = vi.fn();
    global.gc = gc;
    const feed = collectGarbageEvery(100, 350);
    for (const total of [50, 99, 120, 150, 219, 220, 400, 401, 530, 800]) feed(total);
    // 120 (next 220), 220 (next 320), 400 >= 350: major (next major 750, next 500), 530 (next 630),
    // 800 >= 750: major.
    expect(gc.mock.calls).toEqual([
      [{ type: 'minor' }],
      [{ type: 'minor' }],
      [{ type: 'major', execution: 'async' }],
      [{ type: 'minor' }],
      [{ type: 'major', execution: 'async' }],
    ]);
  });

  it('does nothing when the process has no exposed gc', () => {
    global.gc = undefined;
    expect(() => collectGarbageEvery(1, 2)(10)).not.toThrow();
  });
});
