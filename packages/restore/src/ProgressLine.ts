import { formatProgress } from './formatProgress.js';
import type { RestoreProgressEvent } from './RestoreProgressEvent.js';

/**
 * Draws restore progress (phase, artifact, bytes, rate, ETA; see `formatProgress`) as one updating
 * line on a terminal, at most every 200 ms; the apps' progress display. Silent when the stream is
 * not a TTY (logs carry the totals then).
 */
export class ProgressLine {
  private readonly stream: NodeJS.WritableStream;
  private readonly enabled: boolean;
  private lastDraw = 0;
  private drawn = false;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean }, enabled = stream.isTTY === true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  /** Shows `event` (throttled). */
  update(event: RestoreProgressEvent): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.drawn = true;
    this.stream.write(`\r\x1b[2K  ${formatProgress(event)}`);
  }

  /** Clears the line. */
  done(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
