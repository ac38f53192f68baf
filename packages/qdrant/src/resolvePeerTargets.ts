import { type ArtifactRecord, BackupError, type EngineContext } from '@backup/core';
import { peerIdText } from './peerIdText.js';
import type { QdrantConnection } from './QdrantConnection.js';

/**
 * Chooses the node each snapshot artifact of a unit is restored on. A single-node backup (one
 * artifact) goes to the first target node. In a distributed backup each
 * artifact holds the shards of one peer and must be recovered on the node playing that peer
 * (protocols.md §1.3): `nodeMap[peerId]` when given, else the target node whose
 * `cluster_status` (`GET /cluster`) reports the same peer id (a restore onto the same cluster).
 *
 * @throws BackupError `CONFIG_INVALID` when a peer has no target node (the message says how to map
 *   it), `RESTORE_FAILED` when a target node cannot be read.
 */
export async function resolvePeerTargets(
  artifacts: readonly ArtifactRecord[],
  targets: readonly QdrantConnection[],
  nodeMap: ReadonlyMap<string, QdrantConnection>,
  ctx: EngineContext,
): Promise<Map<ArtifactRecord, QdrantConnection>> {
  const result = new Map<ArtifactRecord, QdrantConnection>();
  if (artifacts.length <= 1) {
    for (const artifact of artifacts) result.set(artifact, targets[0]!);
    return result;
  }
  let byPeer: Map<string, QdrantConnection> | undefined;
  for (const artifact of artifacts) {
    const peerId = peerIdText(artifact.metadata['peerId']);
    if (peerId === undefined) {
      throw new BackupError('RESTORE_FAILED', `${artifact.name} has no peerId in its metadata`);
    }
    let conn = nodeMap.get(peerId);
    if (!conn) {
      if (!byPeer) {
        byPeer = new Map();
        for (const target of targets) {
          const status = await target.call(async (c) => (await c.api().clusterStatus({})).data.result, {
            what: 'Reading the cluster status (GET /cluster)',
            signal: ctx.signal,
            logger: ctx.logger,
            retry: true,
            code: 'RESTORE_FAILED',
          });
          const id = status?.status === 'enabled' ? peerIdText(status.peer_id) : undefined;
          if (id !== undefined) byPeer.set(id, target);
        }
      }
      conn = byPeer.get(peerId);
    }
    if (!conn) {
      throw new BackupError(
        'CONFIG_INVALID',
        `${artifact.name} holds the shards of peer ${peerId} (${String(artifact.metadata['node'])}), and no target ` +
          `node is that peer: map it with nodeMap: { "${peerId}": "http://<node>:6333" }`,
      );
    }
    result.set(artifact, conn);
  }
  return result;
}
