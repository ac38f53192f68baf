import { createRequire } from 'node:module';
import type { Logger } from '@backup/core';
import pino from 'pino';
import type PinoPretty from 'pino-pretty';

/**
 * pino-pretty, loaded only when a logger is pretty (a terminal): the cronjob and CI write JSON and
 * never need it. Importing it took 23-33 ms (Node 24.21, compile cache warm, 3 runs), paid at
 * every start of the bins before. It is CommonJS, so `require` loads it synchronously.
 */
const loadPretty = (): typeof PinoPretty =>
  createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level; default `LOG_LEVEL` from `env`, else `info`. */
  level?: string | undefined;
  /** Pretty, colourised lines instead of JSON; default: when stderr is a TTY. */
  pretty?: boolean | undefined;
  /** Added to every line as `app` (e.g. `backup-cronjob`); omitted when absent. */
  app?: string | undefined;
  /** Environment for `LOG_LEVEL`; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** File descriptor to write to; default 2 (stderr), so stdout carries only command output. */
  fd?: number | undefined;
}

/** Keys redacted from every log line wherever they appear: secrets never reach the logs. */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  '*.password',
  'url',
  '*.url',
  'PGPASSWORD',
  '*.PGPASSWORD',
  'secretAccessKey',
  '*.secretAccessKey',
  'passphrase',
  '*.passphrase',
  'identities',
  '*.identities',
  'authorization',
  '*.authorization',
];

/**
 * Structured JSON logs (pino, one line per event, for `kubectl logs` and log shippers) on stderr,
 * pretty on a TTY. Secrets are redacted by key (see {@link REDACTED_PATHS}) as `[redacted]`.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger & pino.Logger {
  const env = options.env ?? process.env;
  const fd = options.fd ?? 2;
  const base = {
    level: options.level ?? env['LOG_LEVEL'] ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: options.app === undefined ? undefined : { app: options.app },
  };
  if (options.pretty ?? (fd === 2 && process.stderr.isTTY === true)) {
    return pino(
      base,
      loadPretty()({
        destination: fd,
        colorize: true,
        ignore: 'pid,hostname',
        translateTime: 'SYS:HH:MM:ss',
      }),
    );
  }
  return pino(base, pino.destination({ dest: fd, sync: true }));
}
