import { spawn } from 'node:child_process';

/** What {@link runProcess} resolves with. */
export interface ProcessResult {
  /** Exit code; `null` when the process was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to close, in milliseconds. */
  ms: number;
}

/**
 * Runs `command args` to completion (stdin closed) and resolves with its exit code, its whole
 * stdout and stderr as UTF-8, and its wall time. Never rejects for a non-zero exit; rejects only
 * when the process cannot be spawned. `env` is merged over `process.env`.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}
