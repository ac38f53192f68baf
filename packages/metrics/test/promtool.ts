import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** `promtool check metrics < path`: exit status and everything it printed (lint problems). */
export function promtoolCheckMetrics(path: string): { status: number | null; output: string } {
  const fd = openSync(path, 'r');
  try {
    const result = spawnSync(process.env['PROMTOOL_BIN'] ?? 'promtool', ['check', 'metrics'], {
      stdio: [fd, 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.error) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    closeSync(fd);
  }
}
