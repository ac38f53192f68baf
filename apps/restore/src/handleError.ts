import { BackupError, exitCodeOf, isBackupError, type Logger } from '@backup/core';

/**
 * The one place where `backup-restore` turns errors into a message and an exit code (the table of
 * docs/cli.md): `error [CODE]: message` on stderr; anything that is not a `BackupError` is a bug
 * (`INTERNAL`, exit 1) and prints its stack.
 */
export function handleError(error: unknown, logger: Logger, stderr: NodeJS.WritableStream): number {
  const known = isBackupError(error)
    ? error
    : new BackupError('INTERNAL', error instanceof Error ? (error.stack ?? error.message) : String(error), {
        cause: error,
      });
  logger.error({ code: known.code, details: known.details }, known.message);
  stderr.write(`error [${known.code}]: ${known.message}\n`);
  return exitCodeOf(known);
}
