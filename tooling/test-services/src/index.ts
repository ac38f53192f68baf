// Test harness: real servers on free ports, for tests, the demo and benchmarks.

export { freePort } from './freePort.js';
export type { PostgresServer } from './postgres.js';
export { findPostgresBinDir, startPostgres } from './postgres.js';
export type { PushgatewayOptions, PushgatewayServer } from './pushgateway.js';
export { findPushgatewayBinary, startPushgateway } from './pushgateway.js';
export type {
  RedisAclUser,
  RedisCluster,
  RedisCredentials,
  RedisServer,
  RedisTlsFiles,
  StartRedisOptions,
} from './redis.js';
export { findRedisServerBinary, startRedis, startRedisCluster } from './redis.js';
export type { ProcessResult } from './runProcess.js';
export { runProcess } from './runProcess.js';
export type { S3rverInstance, S3rverStorageOptions } from './s3rver.js';
export { s3OperationOf, startS3rver } from './s3rver.js';
