// @backup/logger: one logger setup for every app.

export type { CreateLoggerOptions } from './createLogger.js';
export { createLogger, REDACTED_PATHS } from './createLogger.js';
