import { StderrTail } from '@backup/core';

/** A running `redis-check-rdb /dev/stdin`. */
export interface RedisCheckRdbProcess {
  /** Writes RDB bytes to its stdin (awaits drain); resolves false once the process is gone. */
  write(chunk: Buffer): Promise<boolean>;
  /** Closes stdin and waits: `ok` when it exited 0; `output` is the tail of what it printed. */
  end(): Promise<{ ok: boolean; output: string }>;
  kill(): void;
}

/**
 * Starts `cat | redis-check-rdb /dev/stdin` (the checker shipped with Redis: magic, version, every
 * object, and the CRC64 unless the file's is 0; protocols.md 2.2, `redis/redis:src/redis-check-rdb.c`),
 * to be fed the plaintext with `write`. It prints its findings on stdout, kept for messages.
 */
export function startRedisCheckRdb(binary: string, signal?: AbortSignal): RedisCheckRdbProcess {
  // Node's stdio "pipes" are socket pairs, which /dev/stdin cannot be opened on: `cat` gives the
  // checker a real pipe.
  // node:child_process on first use, not at import.
  const child = process
    .getBuiltinModule('node:child_process')
    .spawn('sh', ['-c', 'cat | "$0" /dev/stdin', binary], { stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new StderrTail(4096);
  child.stdout.on('data', (c: Buffer) => output.push(c));
  child.stderr.on('data', (c: Buffer) => output.push(c));
  child.stdin.on('error', () => {});
  let gone = false;
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => {
      gone = true;
      resolve({ code: null, error });
    });
    child.once('close', (code) => {
      gone = true;
      resolve({ code });
    });
  });
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    async write(chunk) {
      if (gone || child.stdin.destroyed) return false;
      if (child.stdin.write(chunk)) return true;
      await Promise.race([new Promise((r) => child.stdin.once('drain', r)), exited]);
      return !gone;
    },
    async end() {
      if (!child.stdin.destroyed) child.stdin.end();
      const result = await exited;
      signal?.removeEventListener('abort', onAbort);
      const text = result.error ? `cannot run ${binary}: ${result.error.message}` : output.toString();
      return { ok: result.code === 0, output: text };
    },
    kill() {
      child.kill('SIGTERM');
    },
  };
}
