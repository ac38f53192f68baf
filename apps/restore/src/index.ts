// backup-restore as a library: the program, its actions and wiring (for tests and embedding).

export { createRestoreProgram } from './createRestoreProgram.js';
export type { DrillAppFlags } from './drillAction.js';
export { drillAction } from './drillAction.js';
export { handleError } from './handleError.js';
export type { PrompterIo } from './inquirerPrompter.js';
export { inquirerPrompter } from './inquirerPrompter.js';
export type { RestoreMainIo } from './main.js';
export { main } from './main.js';
export type { RestoreAppIo } from './RestoreAppIo.js';
export type { RestoreAppFlags } from './restoreAction.js';
export { restoreAction } from './restoreAction.js';
export type { WiredRestoreJob, WireRestoreJobInput } from './wireRestoreJob.js';
export { wireRestoreJob } from './wireRestoreJob.js';
