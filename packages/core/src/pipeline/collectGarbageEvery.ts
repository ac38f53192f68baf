import { getHeapStatistics } from 'node:v8';

/** What V8's `gc` extension accepts (`--expose-gc`; V8 `src/extensions/gc-extension.cc`). */
type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => unknown;

/** Default bytes between two young-generation collections (scavenges): 4 MiB. */
export const SCAVENGE_INTERVAL_BYTES = 4 * 1024 * 1024;
/** Default bytes between two full collections, started incrementally: 128 MiB. */
export const MAJOR_GC_INTERVAL_BYTES = 128 * 1024 * 1024;
/**
 * Default growth of V8's external memory, in bytes above its lowest value since the last full
 * collection, that starts a full collection early: 16 MiB.
 */
export const EXTERNAL_GROWTH_BYTES = 16 * 1024 * 1024;

/** Options of {@link collectGarbageEvery}; every field has a default. */
export interface CollectGarbageOptions {
  /** Bytes of data between two young-generation collections. Default {@link SCAVENGE_INTERVAL_BYTES} (4 MiB). */
  scavengeBytes?: number;
  /** Bytes of data between two full collections. Default {@link MAJOR_GC_INTERVAL_BYTES} (128 MiB). */
  majorBytes?: number;
  /**
   * Bytes V8's external memory may grow above its lowest value since the last full collection
   * (checked at each scavenge point) before a full collection is started early. Default
   * {@link EXTERNAL_GROWTH_BYTES} (16 MiB).
   */
  externalGrowthBytes?: number;
  /**
   * Reads V8's external memory in bytes (memory of ArrayBuffers/Buffers and other native objects
   * held by JS objects). Default `v8.getHeapStatistics().external_memory` (about 1 µs). For tests.
   */
  externalBytes?: () => number;
}

/**
 * Returns a callback to feed with the running byte count of a stream (as `DigestStream`'s
 * `onBytes` reports it). When `globalThis.gc` is a function (the `backup`, `backup-cronjob` and
 * `backup-restore` bins call `exposeGc` from `@backup/core/expose-gc` first thing; a process
 * started with `--expose-gc` has it too), it runs a
 * young-generation collection (`gc({ type: 'minor' })`) every `scavengeBytes` bytes (default
 * 4 MiB), and instead starts an incremental full collection (`gc({ type: 'major', execution: 'async' })`)
 * every `majorBytes` bytes (default 128 MiB) or, earlier, when V8's external memory has grown by
 * `externalGrowthBytes` (default 16 MiB) above the lowest value seen at a scavenge point since the
 * last full collection. Without `globalThis.gc` the callback does nothing (a service that imports
 * the packages keeps V8's own GC timing).
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
 *
 * Why the external-memory trigger: to S3, the pipeline stalls while part requests are in flight,
 * and the SDK's own JS allocations meanwhile run V8 scavenges that promote every chunk then
 * buffered in the streams (pg_dump's 64 KiB reads, the zstd lanes' 1 MiB output buffers). In about
 * a third of 1 GB backups to s3rver no full collection ran for ~1 s after the start, and ~55 MiB of
 * such dead Buffers piled up in the main thread's malloc heap until V8's own 64 MiB external-memory
 * limit started one: peak RSS 182-196 MiB instead of 137-148. Checking the external memory at each
 * scavenge point bounds that pile to about `externalGrowthBytes`, and costs 0-2 extra full
 * collections per GB when nothing piles up.
 */
export function collectGarbageEvery(options: CollectGarbageOptions = {}): (totalBytes: number) => void {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (typeof gc !== 'function') return () => {};
  const scavengeBytes = options.scavengeBytes ?? SCAVENGE_INTERVAL_BYTES;
  const majorBytes = options.majorBytes ?? MAJOR_GC_INTERVAL_BYTES;
  const externalGrowthBytes = options.externalGrowthBytes ?? EXTERNAL_GROWTH_BYTES;
  const externalBytes = options.externalBytes ?? (() => getHeapStatistics().external_memory);
  let next = scavengeBytes;
  let nextMajor = majorBytes;
  /** Lowest external memory seen at a scavenge point since the last full collection started. */
  let floor = Number.POSITIVE_INFINITY;
  return (totalBytes: number) => {
    if (totalBytes < next) return;
    next = totalBytes + scavengeBytes;
    const external = externalBytes();
    floor = Math.min(floor, external);
    if (totalBytes >= nextMajor || external - floor >= externalGrowthBytes) {
      nextMajor = totalBytes + majorBytes;
      // The collection runs incrementally: until it has freed the dead Buffers, the external memory
      // stays about here, so this is the floor (it drops with them).
      floor = external;
      gc({ type: 'major', execution: 'async' });
    } else {
      gc({ type: 'minor' });
    }
  };
}
