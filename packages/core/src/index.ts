// @backup/core public API: explicit named exports, types kept apart.

export type { BackupSetListing } from './catalog/Catalog.js';
export { Catalog } from './catalog/Catalog.js';
export type { AgeDecryptorOptions } from './encryption/createAgeDecryptor.js';
export { createAgeDecryptor } from './encryption/createAgeDecryptor.js';
export type { AgeEncryptorOptions } from './encryption/createAgeEncryptor.js';
export { createAgeEncryptor, DEFAULT_SCRYPT_WORK_FACTOR } from './encryption/createAgeEncryptor.js';
export type { LoadAgeIdentitiesOptions } from './encryption/loadAgeIdentities.js';
export { loadAgeIdentities } from './encryption/loadAgeIdentities.js';
export { recipientFingerprint } from './encryption/recipientFingerprint.js';
export type { ResolveAgeIdentitiesOptions } from './encryption/resolveAgeIdentities.js';
export { AGE_IDENTITY_ENV, resolveAgeIdentities } from './encryption/resolveAgeIdentities.js';
export type {
  BackupUnit,
  Engine,
  EngineContext,
  EngineDescription,
  RestoreInput,
  RestoreResult,
} from './engine/Engine.js';
export type { BackupErrorCode, BackupErrorOptions } from './errors.js';
export { BackupError, isBackupError, toBackupError } from './errors.js';
export type { JobEvent, PruneEvent, VerifyEvent } from './events.js';
export { backupChannels } from './events.js';
export { EXIT_CODES, exitCodeOf } from './exitCodes.js';
export type { RestoreBackupOptions } from './jobs/restoreBackup.js';
export { restoreBackup } from './jobs/restoreBackup.js';
export type { RunBackupOptions } from './jobs/runBackup.js';
export { runBackup } from './jobs/runBackup.js';
export type { JobCycleResult, JobCycleStep, RunJobCycleOptions } from './jobs/runJobCycle.js';
export { runJobCycle } from './jobs/runJobCycle.js';
export type { ArtifactVerification, VerifyBackupOptions, VerifyReport } from './jobs/verifyBackup.js';
export { verifyBackup } from './jobs/verifyBackup.js';
export type { AcquireJobLockOptions, JobLock } from './locks/acquireJobLock.js';
export { acquireJobLock, DEFAULT_JOB_LOCK_TTL_MS } from './locks/acquireJobLock.js';
export type { JobLockInfo } from './locks/jobLockInfo.js';
export { jobLockInfoSchema } from './locks/jobLockInfo.js';
export { jobLockKey } from './locks/jobLockKey.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export { parseManifest } from './manifest/parseManifest.js';
export type { ArtifactRecord, Manifest, UnitRecord } from './manifest/schema.js';
export {
  artifactRecordSchema,
  MANIFEST_FORMAT_VERSION,
  manifestSchema,
  SET_ID_PATTERN,
  unitRecordSchema,
} from './manifest/schema.js';
export type { CompressionAlgorithm, CompressionSettings } from './pipeline/compression.js';
export {
  compressionSuffix,
  createCompressStream,
  createDecompressStream,
  defaultCompressionLevel,
  resolveCompression,
} from './pipeline/compression.js';
export type { ExpectedDigest } from './pipeline/DigestStream.js';
export { DigestStream } from './pipeline/DigestStream.js';
export type { ArtifactDecryptor, ArtifactEncryption, ArtifactEncryptor } from './pipeline/encryption.js';
export type { ReadArtifactOptions } from './pipeline/readArtifact.js';
export { readArtifact } from './pipeline/readArtifact.js';
export type { ArtifactDigests, WriteArtifactOptions } from './pipeline/writeArtifact.js';
export { writeArtifact } from './pipeline/writeArtifact.js';
export type { SpawnedSink, SpawnOptions } from './process/spawnSource.js';
export { StderrTail, spawnSink, spawnSource } from './process/spawnSource.js';
export type { ApplyRetentionOptions, KeptBackup, RetentionResult } from './retention/applyRetentionPolicy.js';
export { applyRetentionPolicy } from './retention/applyRetentionPolicy.js';
export type { ExecutePruneOptions, PruneResult } from './retention/executePrune.js';
export { executePrune } from './retention/executePrune.js';
export type { PlanPruneOptions, PrunePlan } from './retention/planPrune.js';
export { NEWEST_PAST_SET_REASON, NEWEST_SET_REASON, planPrune } from './retention/planPrune.js';
export type { RetentionDuration } from './retention/RetentionDuration.js';
export {
  formatRetentionDuration,
  isZeroRetentionDuration,
  parseRetentionDuration,
} from './retention/RetentionDuration.js';
export type { RetentionPolicy } from './retention/RetentionPolicy.js';
export { DEFAULT_RETENTION_POLICY, isEmptyPolicy } from './retention/RetentionPolicy.js';
export { parseRetentionPolicy, retentionPolicySchema } from './retention/retentionPolicySchema.js';
export type {
  ArtifactInput,
  ArtifactSink,
  BackupSetWriterOptions,
  CommitInput,
} from './set/BackupSetWriter.js';
export { BackupSetWriter } from './set/BackupSetWriter.js';
export { MANIFEST_NAME, manifestKey, setPrefix } from './set/layout.js';
export { formatSetId, parseSetId } from './set/setId.js';
export type { FileWriteMode } from './storage/BatchedFileWriter.js';
export type { FsStorageOptions } from './storage/FsStorage.js';
export { FsStorage } from './storage/FsStorage.js';
export { assertSafeKey, joinKey } from './storage/keys.js';
export type { S3StorageCredentials, S3StorageOptions } from './storage/S3Storage.js';
export { S3Storage } from './storage/S3Storage.js';
export type {
  ByteRange,
  ObjectInfo,
  PutOptions,
  PutResult,
  StorageBackend,
  StorageCapabilities,
} from './storage/StorageBackend.js';
export { TOOL_NAME, TOOL_VERSION } from './version.js';
