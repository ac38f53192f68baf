import type { Readable } from 'node:stream';
import { BackupError } from '@backup/core';

/** The comment pg_dumpall writes at the top of its output (PG15 `pg_dumpall.c`). */
const HEADER = 'PostgreSQL database cluster dump';

/**
 * Cheap structural check of `globals.sql`: the whole stream is valid UTF-8 and its first 4 KiB
 * hold pg_dumpall's `-- PostgreSQL database cluster dump` header. Reads `plaintext` to its end.
 *
 * @returns the size in bytes.
 * @throws BackupError `VERIFY_FAILED` naming the artifact; or the stream's own error
 *   (`CHECKSUM_MISMATCH`...).
 */
export async function verifyGlobals(plaintext: Readable, name: string): Promise<number> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let head = '';
  let bytes = 0;
  let invalid = false;
  for await (const chunk of plaintext) {
    bytes += (chunk as Buffer).length;
    if (invalid) continue;
    try {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      if (head.length < 4096) head += text.slice(0, 4096 - head.length);
    } catch {
      invalid = true;
    }
  }
  if (!invalid) {
    try {
      decoder.decode();
    } catch {
      invalid = true;
    }
  }
  if (invalid)
    throw new BackupError('VERIFY_FAILED', `${name} is not valid UTF-8 text; it is not pg_dumpall output`);
  if (!head.includes(HEADER)) {
    throw new BackupError('VERIFY_FAILED', `${name} lacks the pg_dumpall header "-- ${HEADER}"`);
  }
  return bytes;
}
