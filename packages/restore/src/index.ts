// @backup/restore public API: explicit named exports, types kept apart.

export { assertNoRefusal } from './assertNoRefusal.js';
export type {
  ChooseJobInput,
  ChooseSetInput,
  ChooseUnitsInput,
  ConfirmRestoreInput,
} from './chooseRestore.js';
export { chooseJob, chooseSet, chooseUnits, confirmRestore } from './chooseRestore.js';
export type { CreateRestoreAdapterOptions } from './createRestoreAdapter.js';
export { createRestoreAdapter } from './createRestoreAdapter.js';
export type { DrilledUnit, DrillReport } from './drill/DrillReport.js';
export { DRILL_REPORT_FORMAT_VERSION } from './drill/DrillReport.js';
export { DRILL_REPORT_NAME, drillReportKey } from './drill/drillReportKey.js';
export type { DrillReportListing } from './drill/findDrillReports.js';
export { latestPassedDrill, listDrillReports, readDrillReport } from './drill/findDrillReports.js';
export { formatDrillReport } from './drill/formatDrillReport.js';
export type { DrillOutcome, RunDrillOptions } from './drill/runDrill.js';
export { DEFAULT_DRILL_PREFIX, runDrill } from './drill/runDrill.js';
export type { RestoreEstimate } from './estimateRestore.js';
export {
  DEFAULT_RESTORE_BYTES_PER_SECOND,
  DEFAULT_VERIFY_BYTES_PER_SECOND,
  estimateRestore,
} from './estimateRestore.js';
export type { ExecuteRestoreInput, RestoredUnit, RestoreReport } from './executeRestore.js';
export { executeRestore } from './executeRestore.js';
export { formatBytes } from './formatBytes.js';
export { formatDuration } from './formatDuration.js';
export { formatProgress } from './formatProgress.js';
export { formatRestorePlan } from './formatRestorePlan.js';
export { formatRestoreReport } from './formatRestoreReport.js';
export type {
  Neo4jRestoreAdapterOptions,
  Neo4jSafetySource,
} from './neo4j/createNeo4jRestoreAdapter.js';
export { createNeo4jRestoreAdapter } from './neo4j/createNeo4jRestoreAdapter.js';
export type { GraphCounts } from './neo4j/GraphCounts.js';
export { scratchGraphName } from './neo4j/scratchGraphName.js';
export { ProgressLine } from './ProgressLine.js';
export type {
  CheckboxQuestion,
  ConfirmQuestion,
  PromptChoice,
  Prompter,
  SelectQuestion,
} from './Prompter.js';
export { parseAsOf } from './parseAsOf.js';
export type {
  PlannedArtifact,
  PlanRestoreInput,
  RestorePlan,
  RestoreRequest,
  SafetyBackupPlan,
} from './planRestore.js';
export { planRestore, unitRecords } from './planRestore.js';
export type {
  PostgresRestoreAdapterOptions,
  PostgresSafetySource,
} from './postgres/createPostgresRestoreAdapter.js';
export { createPostgresRestoreAdapter } from './postgres/createPostgresRestoreAdapter.js';
export type { PostgresTargetOptions } from './postgres/PostgresTargetOptions.js';
export { scratchDatabaseName } from './postgres/scratchDatabaseName.js';
export type { TableCount } from './postgres/TableCount.js';
export type {
  QdrantRestoreAdapterOptions,
  QdrantSafetySource,
} from './qdrant/createQdrantRestoreAdapter.js';
export { createQdrantRestoreAdapter } from './qdrant/createQdrantRestoreAdapter.js';
export { scratchCollectionName } from './qdrant/scratchCollectionName.js';
export type { Repository } from './Repository.js';
export type { RestoreAdapter, RestoreCheckInput } from './RestoreAdapter.js';
export type { RestoreFlags } from './RestoreFlags.js';
export type { RestoreJob } from './RestoreJob.js';
export type { RestoreProgressEvent } from './RestoreProgressEvent.js';
export type { RedisRestoreAdapterOptions } from './redis/createRedisRestoreAdapter.js';
export { createRedisRestoreAdapter } from './redis/createRedisRestoreAdapter.js';
export type { RedisSafetySource } from './redis/redisSafetyEngine.js';
export type { BackupSetSelector } from './resolveBackupSet.js';
export { resolveBackupSet } from './resolveBackupSet.js';
export type { RestoreOutcome, RunRestoreOptions } from './runRestore.js';
export { confirmationMessage, runRestore } from './runRestore.js';
export type { ScratchTarget } from './ScratchTarget.js';
export { baseJobOfSafetyJob, SAFETY_JOB_SUFFIX, safetyJobName } from './safetyJobName.js';
export type { SafetyBackupResult } from './takeSafetyBackup.js';
export { takeSafetyBackup } from './takeSafetyBackup.js';
export { trackProgress } from './trackProgress.js';
export type { CheckItem, UnitCheck } from './UnitCheck.js';
export type { TargetDescription, UnitAction, UnitTarget } from './UnitTarget.js';
export type { VerifyArtifactsInput } from './verifyArtifacts.js';
export { verifyArtifacts } from './verifyArtifacts.js';
