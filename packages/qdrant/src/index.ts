// @backup/qdrant public API: explicit named exports, types kept apart.

export { exportArtifactName, FULL_SNAPSHOT_ARTIFACT, snapshotArtifactName } from './artifactNames.js';
export type { CollectionSnapshotFacts } from './backupCollectionSnapshot.js';
export { backupCollectionSnapshot } from './backupCollectionSnapshot.js';
export type { FullSnapshotFacts } from './backupFullSnapshot.js';
export { backupFullSnapshot } from './backupFullSnapshot.js';
export { checkCollectionSnapshot } from './checkCollectionSnapshot.js';
export type { FullSnapshotCollection } from './checkFullSnapshot.js';
export { checkFullSnapshot } from './checkFullSnapshot.js';
export type { QdrantFailure } from './classifyFailure.js';
export { classifyFailure } from './classifyFailure.js';
export { createCollectionBody } from './createCollectionBody.js';
export type { QdrantEngineOptions, QdrantRestoreOptions } from './createQdrantEngine.js';
export { createQdrantEngine, FULL_SNAPSHOT_UNIT } from './createQdrantEngine.js';
export type { TarEntryHandler, TarWalker } from './createTarWalker.js';
export { createTarWalker, normalizeTarPath, walkTar } from './createTarWalker.js';
export { deleteServerSnapshot } from './deleteServerSnapshot.js';
export type { CollectionNodeLayout } from './describeCollection.js';
export { describeCollection } from './describeCollection.js';
export { ensureTargetEmpty } from './ensureTargetEmpty.js';
export type { CollectionExport, ExportCollectionOptions } from './exportCollection.js';
export { exportCollection } from './exportCollection.js';
export type { QdrantExportFooter, QdrantExportHeader, QdrantExportPoint } from './exportFormat.js';
export { QDRANT_EXPORT_FORMAT, QDRANT_EXPORT_FORMAT_VERSION } from './exportFormat.js';
export type { ImportCollectionOptions, ImportCollectionResult } from './importCollection.js';
export { importCollection } from './importCollection.js';
export type { CollectionSnapshotInspection } from './inspectCollectionSnapshot.js';
export { inspectCollectionSnapshot } from './inspectCollectionSnapshot.js';
export type { FullSnapshotInspection, FullSnapshotMember } from './inspectFullSnapshot.js';
export { inspectFullSnapshot } from './inspectFullSnapshot.js';
export type { QdrantNodeInfo } from './inspectNodes.js';
export { inspectNodes } from './inspectNodes.js';
export { QDRANT_EXPORT_MEDIA_TYPE, QDRANT_SNAPSHOT_MEDIA_TYPE } from './mediaTypes.js';
export type { NdjsonLine } from './ndjsonLines.js';
export { ndjsonLines } from './ndjsonLines.js';
export type { SnapshotDownload } from './openSnapshotDownload.js';
export { openSnapshotDownload } from './openSnapshotDownload.js';
export { peerIdText } from './peerIdText.js';
export type { SnapshotShape } from './prepareSnapshotTarget.js';
export { canonicalJson, prepareSnapshotTarget } from './prepareSnapshotTarget.js';
export type {
  QdrantCallOptions,
  QdrantClientCallOptions,
  QdrantConnectionOptions,
} from './QdrantConnection.js';
export { QdrantConnection } from './QdrantConnection.js';
export { QdrantHttpError, qdrantErrorText } from './QdrantHttpError.js';
export type { QdrantJobOptions } from './qdrantJobOptionsSchema.js';
export { qdrantJobOptionsSchema } from './qdrantJobOptionsSchema.js';
export { resolvePeerTargets } from './resolvePeerTargets.js';
export type { CollectionSnapshotRestoreInput } from './restoreCollectionSnapshot.js';
export { restoreCollectionSnapshot } from './restoreCollectionSnapshot.js';
export { restoreFullSnapshot } from './restoreFullSnapshot.js';
export type { SnapshotStreamGuardOptions } from './SnapshotStreamGuard.js';
export { SnapshotStreamGuard } from './SnapshotStreamGuard.js';
export { selectCollections } from './selectCollections.js';
export { toQdrantBackupError } from './toQdrantBackupError.js';
export type { UploadSnapshotInput } from './uploadSnapshot.js';
export { uploadSnapshot } from './uploadSnapshot.js';
export { verifyExport } from './verifyExport.js';
export type { RetryPolicy } from './withRetry.js';
export { withRetry } from './withRetry.js';
export type { SnapshotArtifactInput } from './writeSnapshotArtifact.js';
export { writeSnapshotArtifact } from './writeSnapshotArtifact.js';
