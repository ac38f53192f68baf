import type { Logger } from '@backup/core';
import pino from 'pino';

/** Keys redacted from every log line wherever they appear (secrets never reach the logs). */
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
  'authorization',
  '*.authorization',
];

/**
 * Structured JSON logs (pino) on stderr, one line per event, for `kubectl logs` and log shippers;
 * stdout carries only the per-job summary lines. Level from `LOG_LEVEL` (default `info`).
 */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger & pino.Logger {
  return pino(
    {
      level: env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { app: 'backup-cronjob' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
