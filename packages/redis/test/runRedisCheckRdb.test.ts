// startRedisCheckRdb's stdin queue: the caller goes on while the checker works on earlier bytes,
// up to CHECKER_QUEUE_BYTES; beyond that it waits. The checker here is a shell script that reads
// nothing until the test lets it, then counts what it got.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKER_QUEUE_BYTES, startRedisCheckRdb } from '../src/runRedisCheckRdb.js';

const MIB = 1024 * 1024;

let dir: string;
let checker: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-rdb-queue-'));
  checker = join(dir, 'fake-redis-check-rdb');
  // Waits for the `go` file, then reads its argument (the pipe from `cat`) to the end.
  await writeFile(
    checker,
    `#!/bin/sh\nwhile [ ! -f "${dir}/go" ]; do sleep 0.01; done\nwc -c < "$1" > "${dir}/count"\necho "RDB looks OK"\n`,
  );
  await chmod(checker, 0o755);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves `true` if `promise` settles within `ms` milliseconds, else `false`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

describe('startRedisCheckRdb', () => {
  it('lets up to CHECKER_QUEUE_BYTES wait for a busy checker, then waits for it', async () => {
    const process = startRedisCheckRdb(checker);
    const chunks = CHECKER_QUEUE_BYTES / MIB;
    // The checker reads nothing yet: these writes resolve from the queue alone.
    for (let i = 0; i < chunks; i++) {
      expect(await settlesWithin(process.write(Buffer.alloc(MIB, i)), 2000), `chunk ${i}`).toBe(true);
    }
    // One more MiB is past the bound: this write waits until the checker has read the queue.
    const past = process.write(Buffer.alloc(MIB, 0xff));
    expect(await settlesWithin(past, 300)).toBe(false);
    await writeFile(join(dir, 'go'), '');
    expect(await past).toBe(true);
    const result = await process.end();
    expect(result).toEqual({ ok: true, output: 'RDB looks OK' });
    expect(Number((await readFile(join(dir, 'count'), 'utf8')).trim())).toBe(CHECKER_QUEUE_BYTES + MIB);
  });

  it('write resolves false once the checker is gone, and end reports its exit', async () => {
    await writeFile(checker, '#!/bin/sh\necho "RDB ERROR DETECTED"\nexit 1\n');
    const process = startRedisCheckRdb(checker);
    const result = await process.end();
    expect(result.ok).toBe(false);
    expect(result.output).toContain('RDB ERROR DETECTED');
    expect(await process.write(Buffer.alloc(16))).toBe(false);
  });
});
