import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BackupError, type EngineContext } from '@backup/core';
import { consumeArtifact } from './consumeArtifact.js';
import { RdbFormatError } from './RdbFormatError.js';
import { RdbStreamParser, type RdbSummary } from './RdbStreamParser.js';
import { type RedisCheckRdbProcess, startRedisCheckRdb } from './runRedisCheckRdb.js';

/**
 * Bytes (64 KiB) {@link verifyRdb} parses between two turns of the event loop while
 * `redis-check-rdb` runs alongside, so its stdin is refilled as it reads (measured:
 * docs/performance.md, "Verify of an RDB set").
 */
const CHECKER_SLICE_BYTES = 64 * 1024;

/** Options of {@link verifyRdb}. */
export interface VerifyRdbOptions {
  /** Artifact name for messages. */
  name: string;
  /**
   * `redis-check-rdb` to run alongside, fed the same bytes through stdin; undefined: not run.
   * The caller decides (installed, new enough for the file's RDB version).
   */
  redisCheckRdb?: string | undefined;
}

/**
 * Deep check of an RDB artifact's plaintext: magic, version, the EOF opcode and trailing CRC64
 * (`RdbStreamCheck`; a zero CRC means `rdbchecksum no` and is accepted, as `redis-check-rdb` does),
 * plus a walk of every record with {@link RdbStreamParser} (each key's value must parse, so it can be
 * restored), and optionally `redis-check-rdb` on the same bytes. Reads `plaintext` to its end in
 * every case: a checksum failure of the stored artifact wins over a format error (it is the cause).
 *
 * @returns keys per database and type, AUX fields, functions, RDB version, CRC.
 * @throws BackupError `VERIFY_FAILED` naming the problem and its offset, or the stream's own error
 *   (`CHECKSUM_MISMATCH`, `DECRYPT_FAILED`).
 */
export async function verifyRdb(
  plaintext: Readable,
  options: VerifyRdbOptions,
  ctx: EngineContext,
): Promise<RdbSummary> {
  const parser = new RdbStreamParser({ collect: false });
  let checker: RedisCheckRdbProcess | undefined =
    options.redisCheckRdb === undefined ? undefined : startRedisCheckRdb(options.redisCheckRdb, ctx.signal);
  const fail = (error: unknown): BackupError =>
    error instanceof RdbFormatError
      ? new BackupError('VERIFY_FAILED', `${options.name} is not a valid RDB file: ${error.message}`, {
          cause: error,
        })
      : (error as BackupError);
  try {
    await consumeArtifact(
      plaintext,
      async (chunk) => {
        if (!checker) {
          parser.push(chunk);
          return;
        }
        // The checker first, so its bytes flow while we parse them. Its stdin is a socket that
        // takes ~200 KiB at a time, refilled only when our event loop gets a turn: parsing a whole
        // 1 MiB chunk (~4 ms) in one go starved it, and the two took turns (1M keys: 0.92 s, 0.52 s
        // without the checker). Slices with a turn between them keep it fed (0.78 s).
        const queued = checker.write(chunk);
        try {
          for (let at = 0; at < chunk.length; at += CHECKER_SLICE_BYTES) {
            if (at > 0) await nextTurn(); // after the pending I/O (the checker's stdin) was served
            parser.push(chunk.subarray(at, at + CHECKER_SLICE_BYTES));
          }
        } finally {
          // false: it exited early (a finding, reported below) or could not start.
          await queued;
        }
      },
      (error) => error instanceof RdbFormatError,
    );
    const { summary } = parser.end();
    if (checker) {
      const result = await checker.end();
      checker = undefined;
      if (!result.ok) {
        throw new BackupError(
          'VERIFY_FAILED',
          `redis-check-rdb rejected ${options.name}:\n${result.output}`,
          { details: { tool: options.redisCheckRdb } },
        );
      }
      ctx.logger.debug({ artifact: options.name }, 'redis-check-rdb: RDB looks OK');
    }
    return summary;
  } catch (error) {
    throw fail(error);
  } finally {
    if (checker) {
      checker.kill();
      await checker.end();
    }
  }
}
