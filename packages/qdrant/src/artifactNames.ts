/** Name of the single artifact of a full storage snapshot (mode `full`, unit `storage`). */
export const FULL_SNAPSHOT_ARTIFACT = 'storage.snapshot';

/**
 * Artifact name of a collection snapshot, without pipeline suffixes: `<collection>.snapshot` for a
 * single node, `<collection>.peer-<peerId>.snapshot` when several nodes are backed up (a
 * collection snapshot holds only the shards of the node that made it, protocols.md §1.3).
 */
export function snapshotArtifactName(collection: string, peerId?: string): string {
  return peerId === undefined ? `${collection}.snapshot` : `${collection}.peer-${peerId}.snapshot`;
}

/** Artifact name of a portable export: `<collection>.ndjson` (docs/format.md, "Qdrant"). */
export function exportArtifactName(collection: string): string {
  return `${collection}.ndjson`;
}
