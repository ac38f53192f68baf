// The `backup` CLI as a library (for tests and the cronjob app).

export type { ProgramIo } from './createProgram.js';
export { createProgram } from './createProgram.js';
export { handleError } from './handleError.js';
export type { CliIo } from './main.js';
export { main } from './main.js';
