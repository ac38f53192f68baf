import { BackupError } from '../errors.js';

/**
 * Joins key segments with `/`, dropping empty segments and duplicate slashes.
 * `joinKey('agentic/', '/postgresql', '20260121-020000')` -> `agentic/postgresql/20260121-020000`.
 */
export function joinKey(...segments: string[]): string {
  return segments
    .flatMap((s) => s.split('/'))
    .filter((s) => s.length > 0)
    .join('/');
}

/**
 * Checks that `key` is a safe relative object key: non-empty, no `..` or `.` segments, no leading
 * slash, no NUL. Throws `CONFIG_INVALID` naming the key otherwise.
 */
export function assertSafeKey(key: string): void {
  const bad =
    key.length === 0 ||
    key.startsWith('/') ||
    key.includes('\0') ||
    key.split('/').some((s) => s === '..' || s === '.' || s === '');
  if (bad) {
    throw new BackupError('CONFIG_INVALID', `Invalid storage key "${key}": use relative /-separated names`, {
      details: { key },
    });
  }
}
