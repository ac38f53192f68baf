import { BackupError, EXIT_CODES, type Logger } from '@backup/core';
import { createLogger } from '@backup/logger';
import { CronjobInterrupt, type RunCronjobOptions, runCronjob } from './runCronjob.js';

/** Process wiring of `backup-cronjob`, injectable for tests. */
export interface MainOptions {
  /** Arguments after node and the script; default `process.argv.slice(2)`. */
  argv?: readonly string[] | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  logger?: Logger | undefined;
  stdout?: RunCronjobOptions['stdout'];
  stderr?: RunCronjobOptions['stderr'];
  /** Exits the process at once on a second signal; default `process.exit`. */
  exit?: ((code: number) => void) | undefined;
}

/**
 * Runs `backup-cronjob` as a process and resolves with its exit code (never throws):
 * - SIGTERM (pod eviction, `activeDeadlineSeconds`) and SIGINT abort the run: uploads are aborted,
 *   no manifest is written, locks are released, failure metrics are pushed; exit 143 (SIGTERM) or
 *   130 (SIGINT). A second signal exits at once with the same code.
 * - `BACKUP_FAKE_NOW` (ISO 8601, tests and demos only): the clock starts at that time and runs on
 *   from there, so sets, lock times and metrics are dated as if the run happened then.
 */
export async function main(options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ env, app: 'backup-cronjob', pretty: false });
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));

  let clock: (() => Date) | undefined;
  const fakeNow = env['BACKUP_FAKE_NOW'];
  if (fakeNow !== undefined && fakeNow !== '') {
    const start = Date.parse(fakeNow);
    if (!Number.isFinite(start)) {
      const error = new BackupError(
        'CONFIG_INVALID',
        `BACKUP_FAKE_NOW must be an ISO 8601 time like 2026-01-10T02:00:00Z, got ${JSON.stringify(fakeNow)}`,
      );
      logger.error({ code: error.code }, error.message);
      stderr.write(`error [${error.code}]: ${error.message}\n`);
      return EXIT_CODES.CONFIG_INVALID;
    }
    const offset = start - Date.now();
    clock = () => new Date(Date.now() + offset);
    logger.warn({ fakeNow }, 'BACKUP_FAKE_NOW is set: the clock is simulated');
  }

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      const code = (controller.signal.reason as CronjobInterrupt).exitCode;
      logger.error({ signal }, 'second signal: exiting now (locks may stay until they expire)');
      exit(code);
      return;
    }
    logger.warn({ signal }, 'signal received: stopping');
    controller.abort(new CronjobInterrupt(signal));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const result = await runCronjob({
      argv: options.argv ?? process.argv.slice(2),
      env,
      clock,
      logger,
      signal: controller.signal,
      stdout: options.stdout,
      stderr,
    });
    return result.exitCode;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
