import type { Readable } from 'node:stream';
import { BackupError, type EngineContext, spawnSink } from '@backup/core';
import { feedProcess } from './feedProcess.js';

/** Options of {@link verifyDump}. */
export interface VerifyDumpOptions {
  /** Path of pg_restore. */
  pgRestore: string;
  /** Environment of pg_restore (it does not connect with `--list`). */
  env: NodeJS.ProcessEnv;
  /** Artifact name for messages. */
  name: string;
  /** Database the dump must come from (its TOC header says `dbname: ...`); unchecked when absent. */
  database?: string | undefined;
}

/** What the TOC of a verified dump says. */
export interface DumpToc {
  /** Listed TOC entries (tables, data, large objects, functions...). */
  entries: number;
  /** `Dumped from database version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
  serverVersion: string | undefined;
}

/**
 * Structural check of a custom-format dump: pipes the plaintext into `pg_restore --list` (which
 * reads the archive from stdin and prints its header and TOC; protocols.md 6.4, PG15
 * `pg_restore(1)`), checks that it exited 0, that the header says `Format: CUSTOM` and, when
 * given, that the dump is of `database`. Reads `plaintext` to its end in every case, so its
 * checksums are checked too; a checksum failure wins over a pg_restore failure (it is the cause).
 *
 * @throws BackupError `VERIFY_FAILED` with pg_restore's stderr (e.g. "input file does not appear
 *   to be a valid archive"), or the stream's own error (`CHECKSUM_MISMATCH`, `DECRYPT_FAILED`).
 */
export async function verifyDump(
  plaintext: Readable,
  options: VerifyDumpOptions,
  ctx: EngineContext,
): Promise<DumpToc> {
  const args = ['--list'];
  ctx.logger.debug({ command: options.pgRestore, args }, `verifying ${options.name}`);
  const child = spawnSink(options.pgRestore, args, {
    env: options.env,
    signal: ctx.signal,
    errorCode: 'VERIFY_FAILED',
    label: `pg_restore --list of ${options.name}`,
  });
  const outcome = await feedProcess(plaintext, child, { drainAfterExit: true });
  if (outcome.sourceError !== undefined) throw outcome.sourceError;
  if (outcome.childError !== undefined) throw outcome.childError;
  const toc = outcome.stdout ?? '';
  if (!/^;\s+Format: CUSTOM\s*$/m.test(toc)) {
    throw new BackupError(
      'VERIFY_FAILED',
      `${options.name} is not a custom-format dump: pg_restore --list printed no CUSTOM archive header`,
    );
  }
  const dbname = /^;\s+dbname: (.*)$/m.exec(toc)?.[1];
  if (options.database !== undefined && dbname !== undefined && dbname !== options.database) {
    throw new BackupError(
      'VERIFY_FAILED',
      `${options.name} is a dump of database "${dbname}", but the manifest says "${options.database}"`,
    );
  }
  return {
    entries: toc.split('\n').filter((line) => /^\d+;/.test(line)).length,
    serverVersion: /^;\s+Dumped from database version: (.*)$/m.exec(toc)?.[1]?.trim(),
  };
}
