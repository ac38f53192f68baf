import { formatBytes } from './formatBytes.js';
import { formatDuration } from './formatDuration.js';
import type { RestoreProgressEvent } from './RestoreProgressEvent.js';

/**
 * One status line: `restore  outline.dump.zst  12.0 MiB / 40.0 MiB  8.1 MiB/s  ETA 3s`. Apps draw it
 * on a TTY (`\r\x1b[2K` + line), at most a few times per second.
 */
export function formatProgress(event: RestoreProgressEvent): string {
  const total = event.totalBytes === undefined ? '' : ` / ${formatBytes(event.totalBytes)}`;
  const eta = event.etaSeconds === undefined ? '' : `  ETA ${formatDuration(event.etaSeconds)}`;
  return `${event.phase}  ${event.artifact}  ${formatBytes(event.bytes)}${total}  ${formatBytes(event.bytesPerSecond)}/s${eta}`;
}
