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
      return error.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    }
    return handleError(error, logger, full.stderr);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
