import { FsStorage, S3Storage, type StorageBackend } from '@backup/core';
import type { StorageConfig } from './schema.js';

/**
 * Builds the storage backend a config describes. S3 credentials are NOT in the config: the AWS
 * SDK's standard chain supplies them (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles,
 * web identity in Kubernetes...).
 */
export function createStorage(config: StorageConfig): StorageBackend {
  switch (config.type) {
    case 'fs':
      return new FsStorage({ path: config.path, writes: config.writes });
    case 's3':
      return new S3Storage({
        bucket: config.bucket,
        prefix: config.prefix,
        ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
        ...(config.region === undefined ? {} : { region: config.region }),
        ...(config.forcePathStyle === undefined ? {} : { forcePathStyle: config.forcePathStyle }),
        ...(config.partSize === undefined ? {} : { partSize: config.partSize }),
        ...(config.queueSize === undefined ? {} : { queueSize: config.queueSize }),
      });
  }
}
