import type { RestoreProgressEvent } from './RestoreProgressEvent.js';

/**
 * Turns per-artifact byte counters (as `restoreBackup`/`readArtifact` report them: bytes of one
 * artifact so far) into phase-wide {@link RestoreProgressEvent}s with rate and ETA.
 */
export function trackProgress(
  phase: RestoreProgressEvent['phase'],
  totalBytes: number | undefined,
  emit: ((event: RestoreProgressEvent) => void) | undefined,
  now: () => number = Date.now,
): (artifact: string, bytes: number) => void {
  if (!emit) return () => {};
  const started = now();
  const perArtifact = new Map<string, number>();
  let done = 0;
  return (artifact, bytes) => {
    done += bytes - (perArtifact.get(artifact) ?? 0);
    perArtifact.set(artifact, bytes);
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const bytesPerSecond = done / seconds;
    const left = totalBytes === undefined ? undefined : Math.max(totalBytes - done, 0);
    emit({
      phase,
      artifact,
      bytes: done,
      ...(totalBytes === undefined ? {} : { totalBytes }),
      bytesPerSecond,
      ...(left !== undefined && bytesPerSecond > 0 ? { etaSeconds: left / bytesPerSecond } : {}),
    });
  };
}
