import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findStdbuf, STDOUT_BUFFER_BYTES, withLargeStdoutWrites } from '../src/largeStdoutWrites.js';

describe('withLargeStdoutWrites', () => {
  it('runs the tool through stdbuf with a 1 MiB stdout buffer when stdbuf is on PATH', () => {
    const stdbuf = findStdbuf();
    expect(stdbuf).toMatch(/\/stdbuf$/);
    expect(withLargeStdoutWrites('/usr/bin/pg_dump', ['--format=custom'])).toEqual([
      stdbuf,
      [`--output=${STDOUT_BUFFER_BYTES}`, '/usr/bin/pg_dump', '--format=custom'],
    ]);
  });

  it('leaves the command as it is without stdbuf', () => {
    expect(withLargeStdoutWrites('/usr/bin/pg_dump', ['-a'], { PATH: '/nonexistent' })).toEqual([
      '/usr/bin/pg_dump',
      ['-a'],
    ]);
  });

  it('keeps the bytes, the exit status and stderr of the tool', async () => {
    const [command, args] = withLargeStdoutWrites('sh', ['-c', 'printf "a\\nb"; echo oops >&2; exit 3']);
    const error = await promisify(execFile)(command, args).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 3, stdout: 'a\nb', stderr: 'oops\n' });
  });
});
