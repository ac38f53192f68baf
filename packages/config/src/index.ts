// @backup/config: the YAML config and the wiring of storage backends and engines from it.

export type { CreateDecryptorOptions } from './createDecryptor.js';
export { createDecryptor } from './createDecryptor.js';
export { createEncryptor } from './createEncryptor.js';
export { createEngine, loadEngine } from './createEngine.js';
export { createStorage } from './createStorage.js';
export { interpolateEnv } from './interpolateEnv.js';
export type { LoadConfigOptions, LoadedConfig } from './loadConfig.js';
export { formatIssuePath, loadConfig, parseConfig } from './loadConfig.js';
export { resolveRetention } from './resolveRetention.js';
export type {
  BackupConfig,
  CompressionConfig,
  EncryptionConfig,
  JobConfig,
  MetricsConfig,
  StorageConfig,
} from './schema.js';
export {
  compressionConfigSchema,
  configSchema,
  encryptionConfigSchema,
  fsStorageConfigSchema,
  jobConfigSchema,
  metricsConfigSchema,
  neo4jJobConfigSchema,
  postgresJobConfigSchema,
  qdrantJobConfigSchema,
  redisJobConfigSchema,
  s3StorageConfigSchema,
  storageConfigSchema,
} from './schema.js';
export { selectJobs } from './selectJobs.js';
