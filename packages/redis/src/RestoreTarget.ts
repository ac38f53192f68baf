import type { ConnectionOptions } from 'node:tls';
import { BackupError, type Logger, silentLogger } from '@backup/core';
import type { Cluster, Redis } from 'ioredis';
import { openRedisClient, openRedisCluster } from './openRedisClient.js';
import { parseInfo } from './parseInfo.js';
import { endpointLabel, type RedisEndpoint } from './parseRedisUrl.js';
import { readServerFacts, serverFactsFromInfo } from './readServerFacts.js';
import { redisFailure } from './redisFailure.js';

/** One key to restore. */
export interface RestoreItem {
  key: Buffer;
  /** DUMP payload. */
  payload: Buffer;
  /** Absolute expiry, Unix ms (sent with `ABSTTL`); undefined: none. */
  expireAt: number | undefined;
  /** LRU idle seconds (`IDLETIME`), from an RDB. */
  idle?: number | undefined;
  /** LFU frequency (`FREQ`), from an RDB. */
  freq?: number | undefined;
}

/** What to do when `RESTORE` (without REPLACE) answers `BUSYKEY`. */
export type BusyKeyPolicy =
  /** Restore again with REPLACE and count a duplicate (keys mode: SCAN may list a key twice). */
  | 'replace'
  /** Fail with `TARGET_NOT_EMPTY` (RDB mode: an RDB never repeats a key, so someone else wrote it). */
  | 'fail';

/** Counts of restored batches. */
export interface RestoreCounts {
  /** RESTORE commands that succeeded (an already-expired ABSTTL restores nothing but counts here). */
  restored: number;
  /** Keys restored again with REPLACE after `BUSYKEY` ({@link BusyKeyPolicy} `replace`). */
  duplicates: number;
}

/** Options of {@link RestoreTarget.open}. */
export interface RestoreTargetOptions {
  tls?: ConnectionOptions | undefined;
  logger?: Logger | undefined;
}

/**
 * A server (or cluster) that keys are restored into with pipelined `RESTORE key ttl payload
 * [REPLACE] ABSTTL [IDLETIME s | FREQ n]` (protocols.md 2.3). Detects Redis Cluster targets
 * (`cluster_enabled:1` in INFO) and then routes keys by slot (ioredis Cluster, auto-pipelined per
 * node); standalone targets get one connection per database with explicit pipelines.
 */
export class RestoreTarget {
  /** `host:port` (never credentials). */
  readonly label: string;
  /** The target is a Redis Cluster. */
  readonly cluster: boolean;
  /** `redis_version` of the target. */
  readonly version: string;
  private readonly endpoint: RedisEndpoint;
  private readonly tls: ConnectionOptions | undefined;
  private readonly clients = new Map<number, Promise<Redis>>();
  private readonly clusterClient: Cluster | undefined;

  private constructor(
    endpoint: RedisEndpoint,
    tls: ConnectionOptions | undefined,
    first: Redis,
    version: string,
    cluster: Cluster | undefined,
  ) {
    this.endpoint = endpoint;
    this.tls = tls;
    this.label = endpointLabel(endpoint);
    this.version = version;
    this.clusterClient = cluster;
    this.cluster = cluster !== undefined;
    this.clients.set(0, Promise.resolve(first));
  }

  /**
   * Connects to the target and detects cluster mode.
   *
   * @throws BackupError `RESTORE_FAILED` when it cannot connect or authenticate.
   */
  static async open(endpoint: RedisEndpoint, options: RestoreTargetOptions = {}): Promise<RestoreTarget> {
    const first = await openRedisClient(endpoint, { tls: options.tls, db: 0, errorCode: 'RESTORE_FAILED' });
    try {
      const facts = await readServerFacts(first);
      let cluster: Cluster | undefined;
      if (facts.clusterEnabled) {
        cluster = await openRedisCluster(endpoint, {
          tls: options.tls,
          errorCode: 'RESTORE_FAILED',
          autoPipelining: true,
        });
      }
      (options.logger ?? silentLogger).debug(
        { target: endpointLabel(endpoint), version: facts.version, cluster: facts.clusterEnabled },
        'restore target connected',
      );
      return new RestoreTarget(endpoint, options.tls, first, facts.version, cluster);
    } catch (error) {
      first.disconnect();
      throw redisFailure(
        error,
        'RESTORE_FAILED',
        `Reading INFO of the restore target ${endpointLabel(endpoint)}`,
      );
    }
  }

  private client(db: number): Promise<Redis> {
    let client = this.clients.get(db);
    if (!client) {
      client = openRedisClient(this.endpoint, { tls: this.tls, db, errorCode: 'RESTORE_FAILED' });
      client.catch(() => this.clients.delete(db));
      this.clients.set(db, client);
    }
    return client;
  }

  /** Keys per database number (`INFO keyspace`; summed over the masters of a cluster). */
  async keyCounts(): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    const add = (info: string) => {
      for (const [name, entry] of Object.entries(serverFactsFromInfo(parseInfo(info)).keyspace)) {
        const db = Number(name.slice(2));
        counts.set(db, (counts.get(db) ?? 0) + entry.keys);
      }
    };
    try {
      if (this.clusterClient) {
        for (const node of this.clusterClient.nodes('master')) add(await node.info('keyspace'));
      } else {
        add(await (await this.client(0)).info('keyspace'));
      }
    } catch (error) {
      throw redisFailure(error, 'RESTORE_FAILED', `Reading INFO keyspace of ${this.label}`);
    }
    return counts;
  }

  /**
   * Throws `TARGET_NOT_EMPTY` when one of `dbs` holds keys and `replace` is false (the contract's
   * "refuse to overwrite" rule); databases outside `dbs` are not looked at.
   */
  async assertEmpty(dbs: Iterable<number>, replace: boolean, unit: string): Promise<void> {
    if (replace) return;
    const counts = await this.keyCounts();
    const busy = [...new Set(dbs)].filter((db) => (counts.get(db) ?? 0) > 0).sort((a, b) => a - b);
    if (busy.length > 0) {
      const list = busy.map((db) => `db${db} (${counts.get(db)} keys)`).join(', ');
      throw new BackupError(
        'TARGET_NOT_EMPTY',
        `Restore target ${this.label} is not empty: ${list}; restoring unit ${unit} there needs replace: true ` +
          '(existing keys with the same names are overwritten, other keys stay), or flush or choose another target',
        { details: { target: this.label, databases: busy } },
      );
    }
  }

  /** Restores one batch into `db` (a cluster has only db 0). */
  async restore(
    db: number,
    items: readonly RestoreItem[],
    replace: boolean,
    busy: BusyKeyPolicy,
  ): Promise<RestoreCounts> {
    if (this.cluster && db !== 0) {
      throw new BackupError(
        'RESTORE_FAILED',
        `Restore target ${this.label} is a Redis Cluster, which has only database 0; the backup has keys in db${db} ` +
          '(restore with databases: [0], or into a standalone server)',
      );
    }
    const counts: RestoreCounts = { restored: 0, duplicates: 0 };
    const retry: RestoreItem[] = [];
    const results = await this.send(db, items, replace);
    results.forEach((error, i) => {
      const item = items[i]!;
      if (error === null) {
        counts.restored++;
      } else if (/^BUSYKEY/.test(error.message) && !replace) {
        if (busy === 'fail') {
          throw new BackupError(
            'TARGET_NOT_EMPTY',
            `Key ${keyLabel(item.key)} appeared in db${db} of ${this.label} during the restore (written by someone ` +
              'else?); restore with replace: true to overwrite',
          );
        }
        retry.push(item);
      } else {
        throw restoreError(error, item, db, this.label);
      }
    });
    if (retry.length > 0) {
      const again = await this.send(db, retry, true);
      again.forEach((error, i) => {
        if (error !== null) throw restoreError(error, retry[i]!, db, this.label);
      });
      counts.restored += retry.length;
      counts.duplicates += retry.length;
    }
    return counts;
  }

  private async send(
    db: number,
    items: readonly RestoreItem[],
    replace: boolean,
  ): Promise<Array<Error | null>> {
    const args = items.map((item) => {
      const a: Array<string | Buffer> = [item.key, String(item.expireAt ?? 0), item.payload];
      if (replace) a.push('REPLACE');
      a.push('ABSTTL');
      if (item.idle !== undefined) a.push('IDLETIME', String(item.idle));
      else if (item.freq !== undefined) a.push('FREQ', String(item.freq));
      return a;
    });
    try {
      if (this.clusterClient) {
        const cluster = this.clusterClient;
        const settled = await Promise.allSettled(args.map((a) => cluster.call('RESTORE', ...a)));
        return settled.map((s) => (s.status === 'fulfilled' ? null : toError(s.reason)));
      }
      const client = await this.client(db);
      const pipeline = client.pipeline();
      for (const a of args) pipeline.call('RESTORE', ...a);
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error]) => (error ? toError(error) : null));
    } catch (error) {
      throw redisFailure(error, 'RESTORE_FAILED', `Restoring keys into db${db} of ${this.label}`);
    }
  }

  /**
   * `FUNCTION RESTORE payload [REPLACE]` (on every master of a cluster).
   *
   * @throws BackupError `TARGET_NOT_EMPTY` when a library exists and `replace` is false.
   */
  async restoreFunctions(payload: Buffer, replace: boolean): Promise<void> {
    const args: Array<string | Buffer> = ['RESTORE', payload];
    if (replace) args.push('REPLACE');
    const targets: Array<Redis> = this.clusterClient
      ? this.clusterClient.nodes('master')
      : [await this.client(0)];
    for (const node of targets) {
      try {
        await node.call('FUNCTION', ...args);
      } catch (error) {
        if (/already exists/i.test((error as Error).message)) {
          throw new BackupError(
            'TARGET_NOT_EMPTY',
            `Restore target ${this.label} already has a function library of this backup (${(error as Error).message}); ` +
              'restore with replace: true to replace libraries',
          );
        }
        throw redisFailure(error, 'RESTORE_FAILED', `FUNCTION RESTORE on ${this.label}`);
      }
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled([...this.clients.values()]);
    for (const c of clients) if (c.status === 'fulfilled') c.value.disconnect();
    this.clusterClient?.disconnect();
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** A key for messages: UTF-8 text (binary bytes replaced), at most 100 characters. */
export function keyLabel(key: Buffer): string {
  return JSON.stringify(key.toString('utf8').slice(0, 100));
}

function restoreError(error: Error, item: RestoreItem, db: number, label: string): BackupError {
  const message = error.message;
  let hint = '';
  if (/payload version or checksum are wrong/i.test(message)) {
    const version = item.payload.length >= 10 ? item.payload.readUInt16LE(item.payload.length - 10) : 0;
    hint =
      `; the payload has RDB version ${version}: restore into a Redis at least as new as the source ` +
      '(no RDB downgrade, protocols.md 2.2), or the payload is corrupt';
  } else if (/Bad data format/i.test(message)) {
    hint = '; for a module type (FalkorDB graph...), load the same module on the target';
  } else if (/^OOM/.test(message)) {
    hint = '; the target reached maxmemory';
  } else if (/^NOPERM/.test(message)) {
    hint = '; the target user needs +restore (and +select, +info) on all keys';
  }
  return new BackupError(
    'RESTORE_FAILED',
    `RESTORE of key ${keyLabel(item.key)} into db${db} of ${label} failed: ${message}${hint}`,
    { cause: error, details: { db } },
  );
}
