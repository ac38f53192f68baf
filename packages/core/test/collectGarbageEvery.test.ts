import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectGarbageEvery } from '../src/pipeline/collectGarbageEvery.js';

const global = globalThis as { gc?: unknown };
const original = global.gc;
afterEach(() => {
  global.gc = original;
});

const MINOR = [{ type: 'minor' }];
const MAJOR = [{ type: 'major', execution: 'async' }];

describe('collectGarbageEvery', () => {
  it('scavenges each time the byte count passes another interval, and starts a full GC every major interval', () => {
    const gc = vi.fn();
    global.gc = gc;
    const feed = collectGarbageEvery({ scavengeBytes: 100, majorBytes: 350, externalBytes: () => 0 });
    for (const total of [50, 99, 120, 150, 219, 220, 400, 401, 530, 800]) feed(total);
    // 120 (next 220), 220 (next 320), 400 >= 350: major (next major 750, next 500), 530 (next 630),
    // 800 >= 750: major.
    expect(gc.mock.calls).toEqual([MINOR, MINOR, MAJOR, MINOR, MAJOR]);
  });

  it('starts a full GC early when external memory grew by externalGrowthBytes above its lowest value', () => {
    const gc = vi.fn();
    global.gc = gc;
    let external = 0;
    const feed = collectGarbageEvery({
      scavengeBytes: 100,
      majorBytes: 10_000,
      externalGrowthBytes: 50,
      externalBytes: () => external,
    });
    // [bytes, external memory at that scavenge point]
    const steps: Array<[number, number]> = [
      [100, 30], // floor 30
      [200, 20], // floor 20
      [300, 69], // +49: minor
      [400, 70], // +50: major; floor 70 until the collection frees memory
      [500, 100], // +30 over 70: minor
      [600, 25], // freed: floor 25
      [700, 74], // +49: minor
      [800, 75], // +50: major
    ];
    for (const [total, bytes] of steps) {
      external = bytes;
      feed(total);
    }
    expect(gc.mock.calls).toEqual([MINOR, MINOR, MINOR, MAJOR, MINOR, MINOR, MINOR, MAJOR]);
  });

  it('restarts the major interval after an early full GC', () => {
    const gc = vi.fn();
    global.gc = gc;
    let external = 0;
    const feed = collectGarbageEvery({
      scavengeBytes: 100,
      majorBytes: 350,
      externalGrowthBytes: 50,
      externalBytes: () => external,
    });
    feed(100); // floor 0
    external = 60;
    feed(200); // early major at 200: next major at 550, not 350
    external = 10;
    feed(400);
    feed(500);
    feed(600); // >= 550: major
    expect(gc.mock.calls).toEqual([MINOR, MAJOR, MINOR, MINOR, MAJOR]);
  });

  it('reads the external memory from V8 by default', () => {
    const gc = vi.fn();
    global.gc = gc;
    const feed = collectGarbageEvery({
      scavengeBytes: 100,
      majorBytes: 10_000,
      externalGrowthBytes: 32 * 1024 * 1024,
    });
    feed(100);
    // 64 MiB of new external memory (Buffers) held across the next scavenge point.
    const held = Array.from({ length: 64 }, () => Buffer.allocUnsafeSlow(1024 * 1024));
    feed(200);
    expect(held).toHaveLength(64);
    expect(gc.mock.calls).toEqual([MINOR, MAJOR]);
  });

  it('does nothing when the process has no exposed gc', () => {
    global.gc = undefined;
    expect(() => collectGarbageEvery({ scavengeBytes: 1, majorBytes: 2 })(10)).not.toThrow();
  });
});
