#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation makes V8 scavenge often enough to free the pipeline's spent Buffers
// promptly: peak RSS of a backup drops by ~40 MiB (measured; see docs/performance.md). V8's gc(),
// taken at run time by exposeGc (@backup/core/expose-gc) rather than with --expose-gc, lets the
// pipeline also collect every 4 MiB of data (collectGarbageEvery): another 10-30 MiB less at the
// peak of a backup.
//
// Start-up: nothing is imported statically here, so Node's on-disk compile cache is on before any
// of our modules (or their dependencies) is compiled: NODE_COMPILE_CACHE=<dir>, else
// <tmpdir>/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off. A later run of the same
// Node version reads the cached code instead of compiling it again (docs/performance.md,
// "Start-up"). When the directory cannot be created or written (a read-only filesystem),
// enableCompileCache reports FAILED and the run goes on uncached, silently.
// wal-push and wal-fetch run once per WAL file (archive_command, restore_command), so their start
// matters most: wal-push first checks for a spool marker of a file pushed ahead (walPushFastPath:
// Node built-ins only), loading the full CLI only when it has to push.
import * as nodeModule from 'node:module';
import { walCommandOf } from './wal/walArgv.js';

try {
  nodeModule.enableCompileCache?.();
} catch {
  // Only a speed-up: never a reason to fail a command.
}
const argv = process.argv.slice(2);
const wal = walCommandOf(argv);
let done = false;
if (wal === 'wal-push') {
  const { walPushFastPath } = await import('./wal/walPushFastPath.js');
  done = await walPushFastPath(argv, process.env);
}
if (done) {
  process.exitCode = 0;
} else {
  // V8's gc() for the pipeline's GC pacing (collectGarbageEvery), without starting Node with
  // --expose-gc: that flag makes Node compile its built-in modules from source (~40 ms per start).
  (await import('@backup/core/expose-gc')).exposeGc();
  const { main } = await import('./main.js');
  process.exitCode = await main();
}
