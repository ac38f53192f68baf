import { BackupError, type EngineContext } from '@backup/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { peerIdText } from './peerIdText.js';
import type { QdrantConnection } from './QdrantConnection.js';

/** What one configured node reported (`root` `GET /`, `cluster_status` `GET /cluster`). */
export interface QdrantNodeInfo {
  /** The node's REST URL (label form, no credentials). */
  url: string;
  /** Qdrant version, e.g. `1.19.0`. */
  version: string;
  /** Git commit of the build, when reported. */
  commit?: string | undefined;
  /** `enabled` in distributed mode. */
  cluster: 'enabled' | 'disabled';
  /** This node's peer id (decimal text; distributed mode only). */
  peerId?: string | undefined;
  /** Every peer of the cluster: id and p2p URI (distributed mode only). */
  peers?: { peerId: string; uri: string }[] | undefined;
}

/**
 * Reads version and cluster status of every configured node (retried on transient errors) and
 * checks the topology: in distributed mode every peer of the cluster must be one of the configured
 * nodes, because a collection snapshot holds only the shards of the node that made it
 * (protocols.md §1.3), and no node may be listed twice.
 *
 * @throws BackupError `SOURCE_FAILED` (a node is unreachable, refuses the api key...),
 *   `CONFIG_INVALID` (a cluster peer is not configured, a node listed twice, a standalone node
 *   listed next to others).
 */
export async function inspectNodes(conns: QdrantConnection[], ctx: EngineContext): Promise<QdrantNodeInfo[]> {
  const infos: QdrantNodeInfo[] = [];
  for (const conn of conns) {
    const base = { signal: ctx.signal, logger: ctx.logger, retry: true };
    const version = await conn.call((c) => c.versionInfo(), { ...base, what: 'Reading the version (GET /)' });
    const status = await conn.call(async (c) => (await c.api().clusterStatus({})).data.result, {
      ...base,
      what: 'Reading the cluster status (GET /cluster)',
    });
    infos.push({
      url: conn.label,
      version: version.version,
      commit: version.commit ?? undefined,
      ...cluster(status),
    });
  }
  const enabled = infos.filter((i) => i.cluster === 'enabled');
  if (enabled.length > 0 && enabled.length < infos.length) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Nodes ${infos
        .filter((i) => i.cluster === 'disabled')
        .map((i) => i.url)
        .join(', ')} run standalone while ` +
        `${enabled.map((i) => i.url).join(', ')} run in distributed mode: list the nodes of ONE deployment`,
    );
  }
  if (infos.length > 1 && enabled.length === 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `${infos.length} nodes are configured but none runs in distributed mode: use url for a single node`,
    );
  }
  if (enabled.length > 0) {
    const seen = new Map<string, string>();
    for (const info of infos) {
      const other = seen.get(info.peerId!);
      if (other !== undefined) {
        throw new BackupError(
          'CONFIG_INVALID',
          `${info.url} and ${other} are the same Qdrant peer ${info.peerId}`,
        );
      }
      seen.set(info.peerId!, info.url);
    }
    const missing = (infos[0]!.peers ?? []).filter((p) => !seen.has(p.peerId));
    if (missing.length > 0) {
      throw new BackupError(
        'CONFIG_INVALID',
        `The cluster has peers that are not configured: ${missing.map((p) => `${p.peerId} (${p.uri})`).join(', ')}. ` +
          'A collection snapshot holds only the shards of its node: list the REST URL of every node in nodes',
      );
    }
  }
  return infos;
}

function cluster(
  status: Schemas['ClusterStatus'] | undefined,
): Pick<QdrantNodeInfo, 'cluster' | 'peerId' | 'peers'> {
  if (status?.status !== 'enabled') return { cluster: 'disabled' };
  const peers = Object.entries(status.peers).map(([peerId, info]) => ({ peerId, uri: info?.uri ?? '' }));
  return { cluster: 'enabled', peerId: peerIdText(status.peer_id), peers };
}
