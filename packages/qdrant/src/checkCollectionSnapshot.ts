import { BackupError } from '@backup/core';
import type { CollectionSnapshotInspection } from './inspectCollectionSnapshot.js';

/**
 * Checks the layout of an inspected collection snapshot and throws `VERIFY_FAILED` naming what is
 * wrong: `config.json` must exist and hold a collection config (`params` object); `version.info`
 * must exist; with automatic sharding every shard `0..shard_number-1` must have its directory
 * (Qdrant snapshots every shard of the collection, local or remote, `collection/snapshots.rs`);
 * with custom sharding at least one shard directory. Returns the shard ids found.
 */
export function checkCollectionSnapshot(inspection: CollectionSnapshotInspection, name: string): number[] {
  const fail = (why: string): never => {
    throw new BackupError('VERIFY_FAILED', `${name} is not a valid Qdrant collection snapshot: ${why}`);
  };
  if (inspection.entries === 0) fail('the tar archive is empty');
  if (!inspection.topLevel.has('config.json')) fail('config.json is missing');
  if (inspection.configError !== undefined) fail(`config.json is not JSON (${inspection.configError})`);
  const config = inspection.config as { params?: { shard_number?: unknown; sharding_method?: unknown } };
  if (config === null || typeof config !== 'object' || typeof config.params !== 'object' || !config.params) {
    fail('config.json has no params object');
  }
  if (!inspection.topLevel.has('version.info')) fail('version.info is missing');
  const shards = [...inspection.shardIds].sort((a, b) => a - b);
  const count = config.params?.shard_number;
  if (config.params?.sharding_method === 'custom') {
    if (shards.length === 0) fail('no shard directory');
  } else {
    const expected = typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1;
    const missing: number[] = [];
    for (let id = 0; id < expected; id++) if (!inspection.shardIds.has(id)) missing.push(id);
    if (missing.length > 0) fail(`shard directories ${missing.join(', ')} of ${expected} are missing`);
  }
  return shards;
}
