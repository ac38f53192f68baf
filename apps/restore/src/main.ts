import { EXIT_CODES, type Logger } from '@backup/core';
import { createLogger } from '@backup/logger';
import { CommanderError } from 'commander';
import { createRestoreProgram } from './createRestoreProgram.js';
import { handleError } from './handleError.js';

/** Process wiring of `backup-restore` (injectable for tests). */
export interface RestoreMainIo {
  /** Full argv (node, script, arguments); default `process.argv`. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  logger?: Logger | undefined;
}

/**
 * Runs `backup-restore` and resolves with its exit code (never throws). SIGINT/SIGTERM abort the
 * running step (a restore rolls back, the scratch targets of a drill are removed): exit 130. Logs go
 * to stderr, at `warn` on a terminal (prompts stay readable) and `info` otherwise, unless `LOG_LEVEL`.
 */
export async function main(io: Partial<RestoreMainIo> = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const logger =
    io.logger ??
    createLogger({ env, app: 'backup-restore', level: env['LOG_LEVEL'] ?? (stderr.isTTY ? 'warn' : 'info') });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'signal received: stopping');
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode: number = EXIT_CODES.OK;
  try {
    const program = createRestoreProgram(
      { env, stdin, stdout, stderr, logger, signal: controller.signal },
      (code) => {
        exitCode = code;
      },
    );
    await program.parseAsync(io.argv ?? process.argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    return handleError(error, logger, stderr);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
