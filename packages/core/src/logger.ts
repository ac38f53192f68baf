/**
 * The logging surface core and engines use: a subset of pino's API (`logger.info({ obj }, 'msg')`),
 * so apps pass a pino logger and libraries stay free of a logging dependency.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything; the default when none is given. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
