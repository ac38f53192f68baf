import type { Logger } from '@backup/core';

/** What the `backup-restore` commands run with (injectable for tests). */
export interface RestoreAppIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  logger: Logger;
  /** SIGINT/SIGTERM: running restores stop (`ABORTED`, exit 130). */
  signal: AbortSignal;
}
