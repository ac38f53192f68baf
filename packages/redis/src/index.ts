// @backup/redis public API: explicit named exports, types kept apart.

export type { ClusterNodeInfo } from './clusterNodes.js';
export { parseClusterNodes } from './clusterNodes.js';
export { Crc64, crc64 } from './crc64.js';
export type { RedisEngineOptions, RedisRestoreOptions } from './createRedisEngine.js';
export { createRedisEngine } from './createRedisEngine.js';
export type { DumpPayloadInfo } from './dumpPayload.js';
export { buildDumpPayload, checkDumpPayload } from './dumpPayload.js';
export type { RespArg } from './encodeResp.js';
export type { ExportKeysOptions, ExportKeysStats } from './exportKeys.js';
export { exportKeys } from './exportKeys.js';
export type { KeysArtifactParserOptions, KeysArtifactRecord } from './KeysArtifactParser.js';
export { KeysArtifactParser } from './KeysArtifactParser.js';
export { KeysFormatError } from './KeysFormatError.js';
export type { KeysHeader, KeysRecord, KeysTrailer } from './keysFormat.js';
export { REDIS_KEYS_FORMAT, REDIS_KEYS_FORMAT_VERSION } from './keysFormat.js';
export { REDIS_KEYS_MEDIA_TYPE, REDIS_RDB_MEDIA_TYPE } from './mediaTypes.js';
export { moduleTypeName } from './moduleTypeName.js';
export type { OpenRdbStreamOptions, RdbTransfer } from './openRdbStream.js';
export { openRdbStream } from './openRdbStream.js';
export type { RedisEndpoint } from './parseRedisUrl.js';
export { endpointLabel, parseRedisUrl } from './parseRedisUrl.js';
export { RdbFormatError } from './RdbFormatError.js';
export type { RdbCheckResult } from './RdbStreamCheck.js';
export { RdbStreamCheck } from './RdbStreamCheck.js';
export type {
  RdbEntry,
  RdbFunctionEntry,
  RdbKeyEntry,
  RdbModuleAuxEntry,
  RdbParseEnd,
  RdbSummary,
} from './RdbStreamParser.js';
export { RdbStreamParser } from './RdbStreamParser.js';
export type { RdbFraming, ReplicationRdbStreamOptions } from './ReplicationRdbStream.js';
export { ReplicationRdbStream } from './ReplicationRdbStream.js';
export type { RespConnectionOptions, RespReply } from './RespConnection.js';
export { RespConnection, RespError } from './RespConnection.js';
export { rdbTypeName } from './rdbTypes.js';
export { rdbVersionOfRedis } from './rdbVersionOfRedis.js';
export type { RdbHeader } from './readRdbHeader.js';
export { readRdbHeader } from './readRdbHeader.js';
export type { KeyspaceEntry, RedisServerFacts } from './readServerFacts.js';
export type { RedisJobOptions } from './redisJobOptionsSchema.js';
export { redisJobOptionsSchema } from './redisJobOptionsSchema.js';
export type { RedisTlsOptions } from './tlsConnectionOptions.js';
export { tlsConnectionOptions } from './tlsConnectionOptions.js';
export { dbUnitName, INSTANCE_UNIT, keysArtifactName, masterUnitName, rdbArtifactName } from './unitNames.js';
