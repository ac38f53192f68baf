import { formatBytes } from './formatBytes.js';

/**
 * One updating status line on a TTY: artifact name, bytes so far and rate. Silent when the
 * stream is not a TTY (logs carry the totals then). Updates at most every 200 ms.
 */
export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private current = '';
  private started = 0;
  private lastDraw = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  /** Reports `bytes` processed so far for `name`. */
  update(name: string, bytes: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (name !== this.current) {
      this.current = name;
      this.started = now;
    }
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const line = `  ${name}  ${formatBytes(bytes)}  ${formatBytes(bytes / seconds)}/s`;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** Clears the status line. */
  done(): void {
    if (this.enabled && this.current) this.stream.write('\r\x1b[2K');
    this.current = '';
  }
}
