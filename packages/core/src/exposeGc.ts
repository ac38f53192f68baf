import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Makes V8's `gc()` function available as `globalThis.gc`, as `node --expose-gc` does, for a
 * process that was started without that flag. The `backup`, `backup-cronjob` and `backup-restore`
 * bins call it first thing, so that `writeArtifact`'s GC pacing (`collectGarbageEvery`) runs.
 *
 * How: `--expose-gc` is set with `v8.setFlagsFromString` only while `vm.runInNewContext('gc')`
 * creates a context that has V8's gc extension (V8 `src/extensions/gc-extension.cc`), and reset
 * right after; the function taken from that context keeps working.
 *
 * Why not start Node with `--expose-gc`: V8 accepts a code cache only when it was made with the
 * same flags (the flag hash in V8 `src/snapshot/code-serializer.cc`, `SerializedCodeData::SanityCheck`).
 * With the flag on the command line, the code cache that Node embeds for its built-in modules is
 * rejected, and every built-in module loaded after start-up (streams, crypto, tls, zlib...) is
 * compiled from source: measured with `--cpu-prof` on importing `@backup/core` and
 * `@backup/redis`, `compileForInternalLoader` took 29-40 ms instead of 9-13 ms, and the import
 * ~40 ms longer (hyperfine, 60 runs: 156 ms against 113 ms; docs/performance.md, "Start-up").
 *
 * Does nothing when `globalThis.gc` is already a function (a process started with the flag).
 * Never throws: when the flag cannot be set (an embedder that froze V8's flags) it returns false
 * and the pipeline simply runs without explicit collections.
 *
 * @returns true when `globalThis.gc` is a function afterwards.
 */
export function exposeGc(): boolean {
  const global = globalThis as { gc?: unknown };
  if (typeof global.gc === 'function') return true;
  try {
    setFlagsFromString('--expose-gc');
    try {
      const gc: unknown = runInNewContext('gc');
      if (typeof gc === 'function') global.gc = gc;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    // Only for memory: never a reason to fail a run.
  }
  return typeof global.gc === 'function';
}
