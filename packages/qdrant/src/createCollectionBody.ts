/**
 * Turns an exported collection config (`CollectionInfo.config`, spec `CollectionConfig`) into the
 * body of `create_collection` `PUT /collections/{c}` (spec `CreateCollection`): `params.vectors`,
 * `sparse_vectors`, `shard_number`, `sharding_method`, `replication_factor`,
 * `write_consistency_factor`, `on_disk_payload`, `payload` and the top-level `hnsw_config`,
 * `wal_config`, `optimizer_config` (sent as `optimizers_config`), `quantization_config`,
 * `strict_mode_config`, `metadata`. `null`/absent values are left out so an older or newer server
 * applies its defaults; values are passed through untouched (lossless numbers stay lossless).
 * Params only settable by `update_collection` (`read_fan_out_factor`...) are not restored.
 */
export function createCollectionBody(config: Record<string, unknown>): Record<string, unknown> {
  const params = (config['params'] ?? {}) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  const copy = (to: string, value: unknown) => {
    if (value !== undefined && value !== null) body[to] = value;
  };
  for (const key of [
    'vectors',
    'sparse_vectors',
    'shard_number',
    'sharding_method',
    'replication_factor',
    'write_consistency_factor',
    'on_disk_payload',
    'payload',
  ]) {
    copy(key, params[key]);
  }
  copy('hnsw_config', config['hnsw_config']);
  copy('wal_config', config['wal_config']);
  copy('optimizers_config', config['optimizer_config']);
  copy('quantization_config', config['quantization_config']);
  copy('strict_mode_config', config['strict_mode_config']);
  copy('metadata', config['metadata']);
  return body;
}
