import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** stdout buffer given to a tool run through `stdbuf` (bytes): 1 MiB. */
export const STDOUT_BUFFER_BYTES = 1 << 20;

let cached: { path: string; value: string | undefined } | undefined;

/** Path of coreutils' `stdbuf` on `PATH` (of `env`), or `undefined`. Cached per `PATH` value. */
export function findStdbuf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env['PATH'] ?? '';
  if (cached?.path === path) return cached.value;
  let value: string | undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'stdbuf'), constants.X_OK);
      value = join(dir, 'stdbuf');
      break;
    } catch {
      // not here
    }
  }
  cached = { path, value };
  return value;
}

/**
 * The command line that runs `command args` with a 1 MiB stdout buffer (`stdbuf -o 1048576`), or
 * `command args` unchanged when `stdbuf` is not installed (e.g. busybox images).
 *
 * Why: pg_dump writes its archive with stdio's default 4-8 KiB buffer, so a pipe reader receives
 * ~110,000 chunks per GB; with 1 MiB writes it receives ~20,000 reads of up to 64 KiB. Measured on
 * the 1 GB bench database, reading pg_dump's stdout in Node: 1.97 CPU-s (110,339 chunks) against
 * 0.69 CPU-s (20,900 chunks), before any per-chunk work downstream (hashing, compression, streams).
 * The bytes are the same; `stdbuf` execs the tool, which keeps its own pid, argv, exit status and
 * stderr.
 */
export function withLargeStdoutWrites(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): [string, string[]] {
  const stdbuf = findStdbuf(env);
  if (stdbuf === undefined) return [command, [...args]];
  return [stdbuf, [`--output=${STDOUT_BUFFER_BYTES}`, command, ...args]];
}
