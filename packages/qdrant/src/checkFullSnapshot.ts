import { BackupError } from '@backup/core';
import { checkCollectionSnapshot } from './checkCollectionSnapshot.js';
import type { FullSnapshotInspection } from './inspectFullSnapshot.js';

/** One collection of a checked full snapshot. */
export interface FullSnapshotCollection {
  /** Snapshot file inside the full snapshot. */
  file: string;
  /** Its sha256 (lowercase hex) and size in bytes. */
  sha256: string;
  bytes: number;
  /** `params.vectors` and `params.shard_number` from its `config.json`. */
  vectors: unknown;
  shardNumber: unknown;
}

/**
 * Checks an inspected full storage snapshot and throws `VERIFY_FAILED` naming the problem:
 * `config.json` must map every collection to a snapshot file that is present and is itself a valid
 * collection snapshot (`checkCollectionSnapshot`), and every alias must point to a mapped
 * collection. Returns the collections (with checksums) and aliases.
 */
export function checkFullSnapshot(
  inspection: FullSnapshotInspection,
  name: string,
): { collections: Record<string, FullSnapshotCollection>; aliases: Record<string, string> } {
  const fail = (why: string): never => {
    throw new BackupError('VERIFY_FAILED', `${name} is not a valid Qdrant full snapshot: ${why}`);
  };
  if (inspection.configError !== undefined) fail(inspection.configError);
  if (inspection.mapping === undefined) fail('config.json is missing');
  const collections: Record<string, FullSnapshotCollection> = {};
  for (const [collection, file] of Object.entries(inspection.mapping ?? {})) {
    const member = inspection.members.get(file);
    if (!member) fail(`the snapshot ${file} of collection ${collection} is missing`);
    if (member!.error !== undefined || !member!.inspection) {
      fail(`the snapshot ${file} of collection ${collection} is not a readable tar: ${member!.error}`);
    }
    checkCollectionSnapshot(member!.inspection!, `${name}: ${file}`);
    const params = (member!.inspection!.config as { params: { vectors?: unknown; shard_number?: unknown } })
      .params;
    collections[collection] = {
      file,
      sha256: member!.sha256,
      bytes: member!.bytes,
      vectors: params.vectors ?? {},
      shardNumber: params.shard_number ?? 1,
    };
  }
  const aliases = inspection.aliases ?? {};
  for (const [alias, collection] of Object.entries(aliases)) {
    if (!(collection in collections))
      fail(`alias ${alias} points to ${collection}, which is not in the snapshot`);
  }
  return { collections, aliases };
}
