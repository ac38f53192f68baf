#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation makes V8 scavenge often enough to free the pipeline's spent Buffers
// promptly, and V8's gc() (exposeGc, below) lets the pipeline collect garbage every 4 MiB of data
// (as the other bins).
//
// Start-up: main.js is imported after Node's on-disk compile cache is on (NODE_COMPILE_CACHE=<dir>,
// else <tmpdir>/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off); on a read-only
// filesystem it reports FAILED and the run goes on uncached, silently (docs/performance.md, "Start-up").
import * as nodeModule from 'node:module';

try {
  nodeModule.enableCompileCache?.();
} catch {
  // Only a speed-up: never a reason to fail a restore.
}
// V8's gc() for the pipeline's GC pacing (collectGarbageEvery), without starting Node with
// --expose-gc: that flag makes Node compile its built-in modules from source (~40 ms per start).
(await import('@backup/core/expose-gc')).exposeGc();
const { main } = await import('./main.js');
process.exitCode = await main();
