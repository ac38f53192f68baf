import { PassThrough, type Readable } from 'node:stream';
import { BackupError } from '../errors.js';

/** Options of {@link spawnSource} and {@link spawnSink}. */
export interface SpawnOptions {
  /** Full environment of the child (pass secrets here, never in `args`). Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Cancels: the child gets SIGTERM and the stream fails with `ABORTED`. */
  signal?: AbortSignal | undefined;
  /** Error code when the child fails; default `SOURCE_FAILED` (spawnSource) / `RESTORE_FAILED` (spawnSink). */
  errorCode?: 'SOURCE_FAILED' | 'RESTORE_FAILED' | 'VERIFY_FAILED';
  /** Human name used in error messages; default the command's base name. */
  label?: string;
}

/** Keeps the last `limit` bytes of a child's stderr for error messages. */
export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8').trim().slice(-this.limit);
  }
}

function describeExit(
  label: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return `${label} ${how}${stderr ? `: ${stderr}` : ''}`;
}

/**
 * Runs a command and returns its stdout as a stream that ENDS only when the process exited 0, and
 * otherwise ERRORS with `SOURCE_FAILED` carrying the exit status and the tail of stderr. So a dump
 * whose producer dies midway can never look complete. Destroying the stream kills the child.
 */
export function spawnSource(command: string, args: readonly string[], options: SpawnOptions = {}): Readable {
  const label = options.label ?? command.split('/').pop()!;
  // node:child_process on first use, not at import (docs/performance.md, "Start-up").
  const child = process
    .getBuiltinModule('node:child_process')
    .spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = new StderrTail();
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new BackupError(options.errorCode ?? 'SOURCE_FAILED', `Cannot run ${label}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => {}); // observed below
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // stdout flows into `out`, which ends only once the exit status is known to be 0. A plain pipe
  // (no async iteration per chunk) keeps the main thread free for hashing and compression.
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  child.stdout.pipe(out, { end: false });
  const stdoutEnded = new Promise<void>((resolve) => child.stdout.once('end', resolve));
  Promise.all([exited, stdoutEnded]).then(
    ([{ code, signal }]) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) {
        out.destroy(new BackupError('ABORTED', `${label} was aborted`));
      } else if (code !== 0) {
        out.destroy(
          new BackupError(
            options.errorCode ?? 'SOURCE_FAILED',
            describeExit(label, code, signal, stderr.toString()),
            {
              details: { exitCode: code, signal },
            },
          ),
        );
      } else {
        out.end();
      }
    },
    (error: unknown) => {
      options.signal?.removeEventListener('abort', onAbort);
      out.destroy(error as Error);
    },
  );
  // A consumer that stops reading (destroy) kills the child.
  out.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return out;
}

/** A running command fed through stdin. */
export interface SpawnedSink {
  /** The child's stdin. */
  stdin: NodeJS.WritableStream & { destroy(error?: Error): void };
  /** Resolves with stdout (utf8) when the child exits 0; rejects with the configured code otherwise. */
  done: Promise<string>;
  /** Kills the child (SIGTERM). */
  kill(): void;
}

/**
 * Runs a command that reads stdin (pg_restore, psql...). `done` rejects with `RESTORE_FAILED`
 * (or `options.errorCode`) with the tail of stderr when it exits non-zero or is killed.
 */
export function spawnSink(command: string, args: readonly string[], options: SpawnOptions = {}): SpawnedSink {
  const label = options.label ?? command.split('/').pop()!;
  const child = process
    .getBuiltinModule('node:child_process')
    .spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = new StderrTail();
  const stdout: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stdin.on('error', () => {}); // EPIPE when the child exits early: reported through `done`
  const onAbort = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new BackupError(options.errorCode ?? 'RESTORE_FAILED', `Cannot run ${label}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(new BackupError('ABORTED', `${label} was aborted`));
      if (code === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
      reject(
        new BackupError(
          options.errorCode ?? 'RESTORE_FAILED',
          describeExit(label, code, signal, stderr.toString()),
          {
            details: { exitCode: code, signal },
          },
        ),
      );
    });
  });
  return { stdin: child.stdin, done, kill: () => child.kill('SIGTERM') };
}
