/** What V8's `gc` extension accepts (`--expose-gc`; V8 `src/extensions/gc-extension.cc`). */
type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => unknown;

/** Default bytes between two young-generation collections (scavenges): 4 MiB. */
export const SCAVENGE_INTERVAL_BYTES = 4 * 1024 * 1024;
/** Default bytes between two full collections, started incrementally: 128 MiB. */
export const MAJOR_GC_INTERVAL_BYTES = 128 * 1024 * 1024;

/**
 * Returns a callback to feed with the running byte count of a stream (as `DigestStream`'s
 * `onBytes` reports it). When the process was started with `--expose-gc` (as the `backup`,
 * `backup-cronjob` and `backup-restore` bins and the container image are), it runs a
 * young-generation collection (`gc({ type: 'minor' })`) every `scavengeBytes` bytes (default
 * 4 MiB) and starts an incremental full collection (`gc({ type: 'major', execution: 'async' })`)
 * every `majorBytes` bytes (default 128 MiB) instead. Without the flag the callback does nothing.
 *
 * Why: the pipeline's spent chunks are Buffers whose memory lives outside the V8 heap and is freed
 * only when a GC finds their small JS wrappers dead. With few JS allocations per 64 KiB chunk,
 * scavenges come rarely; chunks that wait for an upload survive two scavenges, move to the old
 * generation and are freed only by a full GC, which V8 starts on its own only after ~64 MiB of such
 * external memory. Measured on a 1 GB PostgreSQL backup (docs/performance.md): to s3rver, peak RSS
 * 158-175 MiB without, 144-148 MiB with scavenges; to a directory, 126-129 MiB with scavenges
 * alone, 114-116 MiB with a full collection every 32 MiB too. A full collection costs ~10-20 ms of
 * CPU, so the default interval is 128 MiB (8 per GB; spent chunks promoted between two of them
 * are mostly compressed frames, about a fifth of the plaintext). A scavenge of
 * the 1 MiB young generation (`--max-semi-space-size=1`) takes well under a millisecond.
 */
export function collectGarbageEvery(
  scavengeBytes: number = SCAVENGE_INTERVAL_BYTES,
  majorBytes: number = MAJOR_GC_INTERVAL_BYTES,
): (totalBytes: number) => void {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (typeof gc !== 'function') return () => {};
  let next = scavengeBytes;
  let nextMajor = majorBytes;
  return (totalBytes: number) => {
    if (totalBytes < next) return;
    next = totalBytes + scavengeBytes;
    if (totalBytes >= nextMajor) {
      nextMajor = totalBytes + majorBytes;
      gc({ type: 'major', execution: 'async' });
    } else {
      gc({ type: 'minor' });
    }
  };
}
