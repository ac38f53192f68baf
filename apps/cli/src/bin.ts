#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation makes V8 scavenge often enough to free the pipeline's spent Buffers
// promptly: peak RSS of a backup drops by ~40 MiB (measured; see docs/performance.md).
//
// wal-push and wal-fetch run once per WAL file (archive_command, restore_command), so their start
// must be cheap: nothing is imported statically here; they get Node's on-disk compile cache
// (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it
// off), and wal-push first checks for a spool marker of a file pushed ahead (walPushFastPath:
// Node built-ins only), loading the full CLI only when it has to push.
import { enableCompileCache } from 'node:module';
import { walCommandOf } from './wal/walArgv.js';

const argv = process.argv.slice(2);
const wal = walCommandOf(argv);
if (wal) enableCompileCache?.();
let done = false;
if (wal === 'wal-push') {
  const { walPushFastPath } = await import('./wal/walPushFastPath.js');
  done = await walPushFastPath(argv, process.env);
}
if (done) {
  process.exitCode = 0;
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main();
}
