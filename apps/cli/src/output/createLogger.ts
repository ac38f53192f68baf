import type { Logger } from '@backup/core';
import pino from 'pino';
import pretty from 'pino-pretty';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level; default `info`, or `LOG_LEVEL`. */
  level?: string | undefined;
  /** Pretty, colourised lines instead of JSON; default: when stderr is a TTY. */
  pretty?: boolean | undefined;
}

/** Keys redacted from every log line wherever they appear (secrets never reach logs). */
export const REDACTED_PATHS = [
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
];

/**
 * Structured JSON logs (pino) on stderr, so stdout carries only command output; pretty on a TTY.
 * Secrets are redacted by key (see {@link REDACTED_PATHS}).
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger & pino.Logger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  const base = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: undefined };
  if (usePretty) {
    return pino(
      base,
      pretty({ destination: 2, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' }),
    );
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}
