import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exposeGc } from '../src/exposeGc.js';

const run = promisify(execFile);
const source = fileURLToPath(new URL('../src/exposeGc.ts', import.meta.url));

/** Runs `body` as an ES module in a fresh Node (no `--expose-gc`), with `exposeGc` imported; returns its JSON. */
async function inFreshNode(body: string, nodeArgs: string[] = []): Promise<Record<string, unknown>> {
  const script = `import { exposeGc } from ${JSON.stringify(source)};\n${body}`;
  const { stdout } = await run(process.execPath, [...nodeArgs, '--input-type=module', '-e', script]);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

describe('exposeGc', () => {
  it('gives a process started without --expose-gc a working gc(), then turns the flag off again', async () => {
    const result = await inFreshNode(`
      import { PerformanceObserver, constants } from 'node:perf_hooks';
      import { runInNewContext } from 'node:vm';
      const before = typeof globalThis.gc;
      const returned = exposeGc();
      const kinds = [];
      const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) kinds.push(e.detail.kind); });
      observer.observe({ entryTypes: ['gc'] });
      globalThis.gc({ type: 'minor' });
      globalThis.gc({ type: 'minor' });
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
      observer.disconnect();
      console.log(JSON.stringify({
        before, returned, after: typeof globalThis.gc,
        minor: kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MINOR).length,
        major: kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MAJOR).length,
        // A context created now has no gc: the flag is off again (V8 flags, and so the flag hash
        // that code caches are checked against, are as Node started).
        newContext: runInNewContext('typeof gc'),
      }));
    `);
    // At least the collections asked for (V8 may add one of its own while the script allocates).
    expect(result).toMatchObject({
      before: 'undefined',
      returned: true,
      after: 'function',
      newContext: 'undefined',
    });
    expect(result['minor']).toBeGreaterThanOrEqual(2);
    expect(result['major']).toBeGreaterThanOrEqual(1);
  });

  it('keeps the gc() of a process started with --expose-gc', async () => {
    const result = await inFreshNode(
      `const original = globalThis.gc;
       const returned = exposeGc();
       console.log(JSON.stringify({ returned, same: globalThis.gc === original, type: typeof original }));`,
      ['--expose-gc'],
    );
    expect(result).toEqual({ returned: true, same: true, type: 'function' });
  });

  it('returns true and leaves an existing globalThis.gc alone in this process', () => {
    const global = globalThis as { gc?: unknown };
    const original = global.gc;
    const fake = () => undefined;
    global.gc = fake;
    try {
      expect(exposeGc()).toBe(true);
      expect(global.gc).toBe(fake);
    } finally {
      global.gc = original;
    }
  });
});
