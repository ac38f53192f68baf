#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation makes V8 scavenge often enough to free the pipeline's spent Buffers
// promptly: peak RSS of a backup drops by ~40 MiB (measured; see docs/performance.md). V8's gc(),
// taken at run time by exposeGc (@backup/core/expose-gc) rather than with --expose-gc, lets the
// pipeline also collect every 4 MiB of data (collectGarbageEvery): another 10-30 MiB less at the
// peak of a backup.
//
// Start-up: main.js is imported after Node's on-disk compile cache is on, so a later run of the
// same Node version reads compiled code instead of compiling every module again:
// NODE_COMPILE_CACHE=<dir> (e.g. a persistent volume; a fresh container's tmpdir starts empty),
// else <tmpdir>/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off. When the directory
// cannot be created or written (a read-only filesystem), enableCompileCache reports FAILED and the
// run goes on uncached, silently (docs/performance.md, "Start-up").
import * as nodeModule from 'node:module';

try {
  nodeModule.enableCompileCache?.();
} catch {
  // Only a speed-up: never a reason to fail a run.
}
// V8's gc() for the pipeline's GC pacing (collectGarbageEvery), without starting Node with
// --expose-gc: that flag makes Node compile its built-in modules from source (~40 ms per start).
(await import('@backup/core/expose-gc')).exposeGc();
const { main } = await import('./main.js');
const code = await main();
process.exitCode = code;
// Lingering sockets (keep-alive connections) must not keep a finished run alive; the timer is
// unref'd, so it only fires when something else still holds the event loop.
setTimeout(() => process.exit(code), 2_000).unref();
