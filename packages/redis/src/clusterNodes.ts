/** One node of `CLUSTER NODES`. */
export interface ClusterNodeInfo {
  /** 40-character node id. */
  id: string;
  host: string;
  port: number;
  role: 'master' | 'replica';
  /** Master id of a replica. */
  masterId: string | undefined;
  /** Served slot ranges, inclusive: `[[0, 5460]]`. */
  slots: Array<[number, number]>;
  /** Flags such as `myself`, `fail?`, `fail`, `handshake`, `noaddr`. */
  flags: string[];
  /** `link-state` is `connected`. */
  connected: boolean;
}

/**
 * Parses the reply of `CLUSTER NODES` (one line per node: `<id> <ip:port@cport[,hostname]>
 * <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...`, as in
 * `redis/redis:src/cluster.c clusterGenNodeDescription`). Importing/migrating slot markers
 * (`[...]`) are skipped. A node whose address is empty (`:6379`, only possible for `myself` before
 * it learned its IP) gets `fallbackHost`.
 */
export function parseClusterNodes(text: string, fallbackHost: string): ClusterNodeInfo[] {
  const nodes: ClusterNodeInfo[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    if (parts.length < 8) continue;
    const [id, address, flagList, master, , , , linkState, ...slotList] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      ...string[],
    ];
    const hostPort = address.split('@')[0]!;
    const colon = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, colon).replace(/^\[(.*)\]$/, '$1') || fallbackHost;
    const port = Number(hostPort.slice(colon + 1));
    const flags = flagList.split(',');
    const slots: Array<[number, number]> = [];
    for (const slot of slotList) {
      if (slot.startsWith('[')) continue;
      const [from, to] = slot.split('-');
      slots.push([Number(from), Number(to ?? from)]);
    }
    nodes.push({
      id,
      host,
      port,
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: master === '-' ? undefined : master,
      slots,
      flags,
      connected: linkState === 'connected',
    });
  }
  return nodes;
}
