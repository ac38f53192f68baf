// @backup/postgres public API: explicit named exports, types kept apart.

export { checkPgDumpVersion, checkPgRestoreVersion } from './checkPgDumpVersion.js';
export { connectionEnv } from './connectionEnv.js';
export type { PostgresEngineOptions, PostgresRestoreOptions } from './createPostgresEngine.js';
export { createPostgresEngine, GLOBALS_UNIT } from './createPostgresEngine.js';
export { dbnameArg } from './dbnameArg.js';
export { dumpArtifactName } from './dumpArtifactName.js';
export type { DatabaseContents } from './inspectDatabase.js';
export { inspectDatabase, isEmptyDatabase } from './inspectDatabase.js';
export type { DatabaseInfo } from './listDatabases.js';
export { listDatabases } from './listDatabases.js';
export { POSTGRES_DUMP_MEDIA_TYPE, POSTGRES_GLOBALS_MEDIA_TYPE } from './mediaTypes.js';
export type { ConnectErrorCode } from './openClient.js';
export { openClient } from './openClient.js';
export type { BaseBackupCheck } from './physical/BaseBackupChecker.js';
export { BaseBackupChecker } from './physical/BaseBackupChecker.js';
export type { BaseBackupFacts } from './physical/BaseBackupInspector.js';
export { BaseBackupInspector } from './physical/BaseBackupInspector.js';
export type { BaseBackupInfo } from './physical/baseBackupInfo.js';
export { baseBackupInfo, baseBackupMetadataSchema } from './physical/baseBackupInfo.js';
export { Crc32c } from './physical/crc32c.js';
export type {
  PostgresPhysicalEngineOptions,
  PostgresPhysicalRestoreOptions,
} from './physical/createPostgresPhysicalEngine.js';
export { createPostgresPhysicalEngine } from './physical/createPostgresPhysicalEngine.js';
export type { ExtractBaseBackupOptions, ExtractedBaseBackup } from './physical/extractBaseBackup.js';
export { extractBaseBackup } from './physical/extractBaseBackup.js';
export type { Lsn } from './physical/lsn.js';
export { formatLsn, parseLsn } from './physical/lsn.js';
export type { BackupLabel } from './physical/parseBackupLabel.js';
export { parseBackupLabel } from './physical/parseBackupLabel.js';
export type { BackupManifest, BackupManifestFile, BackupWalRange } from './physical/parseBackupManifest.js';
export { parseBackupManifest } from './physical/parseBackupManifest.js';
export { CLUSTER_UNIT, POSTGRES_BASE_BACKUP_MEDIA_TYPE } from './physical/physicalMediaTypes.js';
export type { TarEntryHeader, TarEntryType, TarEvent } from './physical/TarParser.js';
export { TarParser } from './physical/TarParser.js';
export { DEFAULT_WAL_SEGMENT_SIZE, parseWalFileName, segmentOf, walFileName } from './physical/walSegment.js';
export type { TimelineHistoryEntry } from './pitr/parseTimelineHistory.js';
export { parseTimelineHistory } from './pitr/parseTimelineHistory.js';
export type { PitrPlan, PlanPitrInput, TargetTimeline } from './pitr/planPitr.js';
export { planPitr } from './pitr/planPitr.js';
export type { RecoverySettingsInput, RecoveryTargetAction } from './pitr/recoverySettings.js';
export { recoverySettings } from './pitr/recoverySettings.js';
export type { RecoveryTarget, RecoveryTargetFlags } from './pitr/recoveryTarget.js';
export { parseRecoveryTarget } from './pitr/recoveryTarget.js';
export type { RestorePitrOptions, RestorePitrResult } from './pitr/restorePitr.js';
export { restorePitr } from './pitr/restorePitr.js';
export { shellQuote } from './pitr/shellQuote.js';
export type { RecoveredServerState, StartRecoveredServerOptions } from './pitr/startRecoveredServer.js';
export { startRecoveredServer } from './pitr/startRecoveredServer.js';
export type { PostgresJobOptions } from './postgresJobOptionsSchema.js';
export { postgresJobOptionsSchema } from './postgresJobOptionsSchema.js';
export { resolveBinDir, toolPath } from './resolveBinDir.js';
export { selectDatabases } from './selectDatabases.js';
export type { ToolVersion } from './toolVersion.js';
export { parseToolVersion, readToolVersion, serverMajor } from './toolVersion.js';
export type { DumpToc, VerifyDumpOptions } from './verifyDump.js';
export { verifyDump } from './verifyDump.js';
export { verifyGlobals } from './verifyGlobals.js';
export type { FetchWalFileOptions, FetchWalFileResult } from './wal/fetchWalFile.js';
export { fetchWalFile } from './wal/fetchWalFile.js';
export type { ArchivedWalFile } from './wal/listArchivedWal.js';
export { listArchivedWal } from './wal/listArchivedWal.js';
export type { PruneWalOptions, PruneWalResult } from './wal/pruneWal.js';
export { pruneWal } from './wal/pruneWal.js';
export type { PushWalFileOptions, PushWalFileResult } from './wal/pushWalFile.js';
export { pushWalFile } from './wal/pushWalFile.js';
export type {
  DrainReadyWalFilesOptions,
  DrainReadyWalFilesResult,
  PushWalFilesOptions,
  PushWalFilesResult,
} from './wal/pushWalFiles.js';
export {
  drainReadyWalFiles,
  MAX_WAL_PUSH_AHEAD,
  MAX_WAL_PUSH_PARALLEL,
  pushWalFiles,
} from './wal/pushWalFiles.js';
export { readArchivedWalFile } from './wal/readArchivedWalFile.js';
export type { WalPageHeader } from './wal/readWalPageHeader.js';
export { readWalPageHeader } from './wal/readWalPageHeader.js';
export { readWalSidecar } from './wal/readWalSidecar.js';
export type { WalFileKind, WalFileName } from './wal/walFileKind.js';
export { parseWalFile, requireWalFile } from './wal/walFileKind.js';
export { walObjectKey, walPrefix, walSidecarKey } from './wal/walKeys.js';
export type { WalSidecar } from './wal/walSidecarSchema.js';
export { walSidecarSchema } from './wal/walSidecarSchema.js';
export type { WalSpoolMarker } from './wal/walSpool.js';
export {
  acquireHelperLock,
  archiveStatusDir,
  defaultWalSpoolDir,
  hashFile,
  helperLockPath,
  listReadyWalFiles,
  listSpoolMarkers,
  liveHelper,
  liveHelperPid,
  markerProves,
  pruneSpoolMarkers,
  readSpoolMarker,
  releaseHelperLock,
  removeSpoolMarker,
  waitForMarker,
  writeSpoolMarker,
} from './wal/walSpool.js';
