import { EXIT_CODES, type Logger } from '@backup/core';
import { createLogger } from '@backup/logger';
import { CommanderError } from 'commander';
import { createProgram } from './createProgram.js';
import { handleError } from './handleError.js';

/** Streams and environment the CLI runs with (injectable for tests). */
export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  logger?: Logger;
}

/** `wal-fetch`'s exit status for a usage error: 200 + `CONFIG_INVALID` (docs/cli.md). */
const WAL_FETCH_FATAL_USAGE = 200 + EXIT_CODES.CONFIG_INVALID;

/** True for a `wal-fetch` call without `--non-fatal` (its failures must be fatal to PostgreSQL). */
function isFatalWalFetch(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  return args.includes('wal-fetch') && !args.includes('--non-fatal');
}

/**
 * Runs the `backup` CLI and resolves with the exit code (never throws). SIGINT/SIGTERM abort the
 * running operation cleanly (uploads aborted, no manifest) and exit with 130.
 */
export async function main(io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    argv: io.argv ?? process.argv,
    env: io.env ?? process.env,
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
  };
  const logger = io.logger ?? createLogger();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'signal received: stopping');
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const program = createProgram({ ...full, logger, signal: controller.signal });
    await program.parseAsync(full.argv);
    return EXIT_CODES.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // PostgreSQL takes a restore_command status of 1-125 for "file missing" and may end the
      // recovery and promote: a typo in restore_command must stop recovery instead (202, fatal).
      return isFatalWalFetch(full.argv) ? WAL_FETCH_FATAL_USAGE : EXIT_CODES.USAGE;
    }
    return handleError(error, logger, full.stderr);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
