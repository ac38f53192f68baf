import { BackupError, EXIT_CODES, isBackupError, type Logger } from '@backup/core';

/**
 * The ONE place where errors become messages and exit codes. Known errors print their message
 * (which says what to do) and code; anything else is a bug and prints its stack.
 * Returns the exit code.
 */
export function handleError(
  error: unknown,
  logger: Logger,
  stderr: NodeJS.WritableStream = process.stderr,
): number {
  const known: BackupError = isBackupError(error)
    ? error
    : new BackupError('INTERNAL', error instanceof Error ? (error.stack ?? error.message) : String(error), {
        cause: error,
      });
  logger.error({ code: known.code, details: known.details }, known.message);
  stderr.write(`error [${known.code}]: ${known.message}\n`);
  return EXIT_CODES[known.code] ?? 1;
}
