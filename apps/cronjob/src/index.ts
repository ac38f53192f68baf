// @backup/cronjob as a library: the runner behind `backup-cronjob`, for tests and embedding.

export type { CronjobArgs, ParsedArgs } from './args.js';
export { parseArgs, VERSION } from './args.js';
export type { MainOptions } from './main.js';
export { main } from './main.js';
export type { CronjobResult, JobSummary, RunCronjobOptions, TextOutput } from './runCronjob.js';
export { CronjobInterrupt, formatSummary, runCronjob } from './runCronjob.js';
export type { DrillSummary, DrillsResult, RunDrillsOptions } from './runDrills.js';
export { formatDrillSummary, runDrills } from './runDrills.js';
