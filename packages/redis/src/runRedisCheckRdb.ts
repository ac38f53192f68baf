import { StderrTail } from '@backup/core';

/** A running `redis-check-rdb /dev/stdin`. */
export interface RedisCheckRdbProcess {
  /**
   * Queues RDB bytes for its stdin. Resolves at once while at most {@link CHECKER_QUEUE_BYTES}
   * are queued, so the checker works on earlier bytes while the caller goes on with the next
   * chunk; beyond that, once the queue has drained. Resolves false once the process is gone. The
   * chunk is referenced, not copied, until written: do not reuse its memory.
   */
  write(chunk: Buffer): Promise<boolean>;
  /** Closes stdin and waits: `ok` when it exited 0; `output` is the tail of what it printed. */
  end(): Promise<{ ok: boolean; output: string }>;
  kill(): void;
}

/**
 * How many bytes (8 MiB) {@link RedisCheckRdbProcess.write} lets wait for the checker's stdin
 * before it waits for them. The stdin (a socket to `cat`) takes ~200 KiB at a time, so awaiting
 * every 1 MiB chunk's drain made the caller wait for the checker at every chunk, instead of both
 * working at once (docs/performance.md, "Verify of an RDB set").
 */
export const CHECKER_QUEUE_BYTES = 8 * 1024 * 1024;

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
      // Past the stream's highWaterMark, write returns false and 'drain' comes once its queue is
      // empty; only past CHECKER_QUEUE_BYTES is that worth waiting for.
      child.stdin.write(chunk);
      if (child.stdin.writableLength <= CHECKER_QUEUE_BYTES) return true;
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
