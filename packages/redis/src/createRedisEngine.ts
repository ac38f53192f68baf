import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import {
  type ArtifactRecord,
  type ArtifactSink,
  BackupError,
  type BackupUnit,
  type Engine,
  type EngineContext,
  type EngineDescription,
  type RestoreInput,
  type RestoreResult,
} from '@backup/core';
import { type ClusterNodeInfo, parseClusterNodes } from './clusterNodes.js';
import { type ExportKeysStats, exportKeys } from './exportKeys.js';
import { REDIS_KEYS_FORMAT, REDIS_KEYS_FORMAT_VERSION } from './keysFormat.js';
import { REDIS_KEYS_MEDIA_TYPE, REDIS_RDB_MEDIA_TYPE } from './mediaTypes.js';
import { openRdbStream } from './openRdbStream.js';
import { endpointLabel, parseRedisUrl, type RedisEndpoint } from './parseRedisUrl.js';
import { type RdbCheckResult, RdbStreamCheck } from './RdbStreamCheck.js';
import { RespConnection, RespError } from './RespConnection.js';
import { RestoreTarget } from './RestoreTarget.js';
import { rdbVersionOfRedis } from './rdbVersionOfRedis.js';
import { readRdbHeader } from './readRdbHeader.js';
import { type RedisServerFacts, readServerFacts, type ServerInfoSource } from './readServerFacts.js';
import { redisFailure } from './redisFailure.js';
import { restoreKeys } from './restoreKeys.js';
import { restoreRdb } from './restoreRdb.js';
import { type RedisTlsOptions, tlsConnectionOptions } from './tlsConnectionOptions.js';
import { dbUnitName, INSTANCE_UNIT, keysArtifactName, masterUnitName, rdbArtifactName } from './unitNames.js';
import { verifyKeys } from './verifyKeys.js';
import { verifyRdb } from './verifyRdb.js';
import { writeRdbFile } from './writeRdbFile.js';

/** Options of {@link createRedisEngine}: the source server and how to back it up. */
export interface RedisEngineOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. The user is an ACL user
   * (Redis 6+; docs/redis.md lists the permissions each mode needs); the password is sent with
   * `AUTH` and never appears in logs, errors or manifests. A `/db` path is the default of
   * `databases` in keys mode.
   */
  url: string;
  /**
   * `rdb` (default): a consistent RDB snapshot pulled over the replication protocol (`SYNC`, as
   * `redis-cli --rdb`): unit `instance` (artifact `dump.rdb`) or one unit per cluster master.
   * `keys`: `SCAN` + pipelined `DUMP` + `PEXPIRETIME` per database, for servers that refuse SYNC
   * (managed services) or selective backups: unit `db<N>` (artifact `db<N>.keys.ndjson`), or one
   * unit per cluster master. Keys mode is not a point-in-time snapshot.
   */
  mode?: 'rdb' | 'keys' | undefined;
  /** Keys mode: SCAN MATCH glob pattern; default every key. `CONFIG_INVALID` in RDB mode. */
  match?: string | undefined;
  /**
   * Keys mode: databases to export; default the URL's `/db`, else every database `INFO keyspace`
   * lists plus db0. `CONFIG_INVALID` in RDB mode (an RDB holds all databases; filter at restore).
   */
  databases?: number[] | undefined;
  /**
   * The URL names one node of a Redis Cluster: back up every master (topology from `CLUSTER
   * NODES`, recorded in the manifest). Default `false`. `CONFIG_INVALID` when it does not match
   * the server's `cluster_enabled`.
   */
  cluster?: boolean | undefined;
  /** TLS files for `rediss://` URLs. */
  tls?: RedisTlsOptions | undefined;
  /**
   * Keys mode: SCAN COUNT hint, about the keys per round trip (two round trips are in flight);
   * default 250, which keeps a keys-mode backup under 150 MiB peak RSS (docs/performance.md).
   */
  scanCount?: number | undefined;
  /** Restore: keys per pipelined RESTORE batch; default 500. */
  batchSize?: number | undefined;
  /**
   * Verify RDB artifacts with `redis-check-rdb` too: `'auto'` (default) when it is installed and
   * knows the artifact's RDB version; `true` always (`VERIFY_FAILED` when it cannot run); `false` never.
   */
  checkRdb?: 'auto' | boolean | undefined;
  /** Path of `redis-check-rdb`; default found on `PATH`. */
  redisCheckRdb?: string | undefined;
  /** Connect timeout in ms; default 10,000. */
  connectTimeoutMs?: number | undefined;
  /** RDB transfer: fail after this many ms without data (keepalives count); default 60,000. */
  idleTimeoutMs?: number | undefined;
}

/** Options of the engine's `restore`. */
export interface RedisRestoreOptions {
  /** Target server URL (same form as {@link RedisEngineOptions.url}); default the engine's `url`. Cluster targets are detected. */
  targetUrl?: string | undefined;
  /** TLS files for a `rediss://` target; default the engine's `tls`. */
  targetTls?: RedisTlsOptions | undefined;
  /**
   * Allow restoring into non-empty databases, overwriting keys of the same name (`RESTORE ...
   * REPLACE`) and function libraries (`FUNCTION RESTORE ... REPLACE`); other keys stay. With
   * `toFile`: overwrite an existing file. Default `false`: `TARGET_NOT_EMPTY`.
   */
  replace?: boolean | undefined;
  /**
   * Write the verified, decrypted RDB to this file (or, for an existing directory, to
   * `dump.rdb`/`master-<host>-<port>.rdb` inside it) instead of restoring over the network: the
   * file-placement procedure of docs/redis.md (stop server, place `dump.rdb`, start), the way to
   * restore module data such as FalkorDB graphs from an RDB. RDB-mode sets only (`CONFIG_INVALID`
   * for keys mode).
   */
  toFile?: string | undefined;
  /** Restore only these databases (keys-mode units of other databases are skipped). Default all. */
  databases?: number[] | undefined;
}

/** A connection for `describe`/`discover`: `INFO`, `CLUSTER NODES`; replies as UTF-8 text. */
interface InfoClient extends ServerInfoSource {
  /** Sends one command; an error reply rejects (as `RespError`). */
  call(...args: string[]): Promise<string>;
  disconnect(): void;
}

/**
 * Creates the Redis engine (name `redis`), for Redis 7.x/8.x, Redis Cluster and FalkorDB (graph
 * keys are module values: both modes carry them unchanged; see {@link RedisRestoreOptions.toFile}).
 *
 * - `describe`: version `redis_version`; metadata `mode`, `server` (`host:port`), `redisMode`,
 *   `role`, `usedMemory` (bytes), `usedMemoryHuman`, `keyspace` (`{ db0: { keys, expires } }`),
 *   `modules`, `maxmemoryPolicy`, `rdbVersion` (the format this server writes), and for clusters
 *   `cluster.nodes` (id, host, port, role, master, slots, flags: the topology).
 * - `discover`: RDB mode: unit `instance` (kind `instance`) or `master-<host>-<port>` per master
 *   (kind `master`, metadata `nodeId`, `slots`); keys mode: `db<N>` (kind `database`) per database,
 *   or one unit per master. Unit metadata: `server`, `serverVersion`, `keyspace`, `usedMemory`,
 *   `modules`, `db`.
 * - `backup`: RDB: `dump.rdb` / `<unit>.rdb` (`application/vnd.redis.rdb`), streamed from the
 *   replication socket with no temporary file, its framing, magic, version and EOF opcode checked
 *   on the fly (a short or malformed RDB fails the backup; verify recomputes the CRC64); unit facts
 *   `rdbVersion`, `rdbBytes`, `checksum` (`present`/`disabled`), `crc64`, `transfer`
 *   (`disk`/`diskless`), `aux` (RDB AUX fields). Keys: `<unit>.keys.ndjson`
 *   (`application/x-ndjson`, docs/format.md); facts `records`, `vanished`, `rdbVersion`, `types`.
 * - `verify`: RDB: magic, version, CRC64, every record parsed, optionally `redis-check-rdb`;
 *   keys: header, each DUMP payload's CRC64, trailer.
 * - `restore`: over the network with pipelined `RESTORE ... ABSTTL` (RDB artifacts are split into
 *   per-key DUMP payloads), or `toFile`. See {@link RedisRestoreOptions}.
 *
 * @throws BackupError `CONFIG_INVALID` at creation for malformed options. The engine's calls throw
 *   `SOURCE_FAILED` (connection, auth, refused SYNC, killed server: never a partial artifact),
 *   `CONFIG_INVALID`, `VERIFY_FAILED`, `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `ABORTED`.
 */
export function createRedisEngine(options: RedisEngineOptions): Engine<RedisRestoreOptions> {
  validateOptions(options);
  const endpoint = parseRedisUrl(options.url);
  const label = endpointLabel(endpoint);
  const mode = options.mode ?? 'rdb';
  const cluster = options.cluster ?? false;
  const batchSize = options.batchSize ?? 500;
  const toFileTargets = new Map<string, string>();
  /**
   * Target databases filled per restore run. `restoreBackup` passes one EngineContext to every unit
   * of a call, so units after the first (cluster masters into one db0) skip the emptiness check the
   * first one passed, while a later call (a new context) checks again.
   */
  const claims = new WeakMap<EngineContext, Map<string, Set<number>>>();
  const claimedFor = (ctx: EngineContext, target: string): Set<number> => {
    let run = claims.get(ctx);
    if (!run) {
      run = new Map();
      claims.set(ctx, run);
    }
    let set = run.get(target);
    if (!set) {
      set = new Set();
      run.set(target, set);
    }
    return set;
  };
  let checkerVersion: Promise<number | undefined> | undefined;
  /** INFO facts that `describe` read of a single server, per run (runBackup's one EngineContext), for `discover`. */
  const describedFacts = new WeakMap<EngineContext, RedisServerFacts>();

  const tlsFor = (ep: RedisEndpoint, tls: RedisTlsOptions | undefined): ConnectionOptions | undefined =>
    ep.tls ? tlsConnectionOptions(ep.host, tls) : undefined;
  // describe/discover send INFO and CLUSTER NODES over a RespConnection (raw socket, as the
  // backups): ioredis is only loaded by restores, which saves its 60-120 ms of module loading.
  const connect = async (ep: RedisEndpoint): Promise<InfoClient> => {
    const connection = await RespConnection.open(ep, {
      tls: tlsFor(ep, options.tls),
      db: 0,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    const command = async (...args: string[]): Promise<string> => {
      const [reply] = await connection.call([args]);
      if (reply instanceof RespError) throw reply;
      return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
    };
    return { info: () => command('INFO'), call: command, disconnect: () => connection.close() };
  };
  const nodeEndpoint = (host: string, port: number): RedisEndpoint => ({
    ...endpoint,
    host,
    port,
    db: undefined,
  });

  async function withClient<T>(
    ep: RedisEndpoint,
    what: string,
    fn: (client: InfoClient) => Promise<T>,
  ): Promise<T> {
    const client = await connect(ep);
    try {
      return await fn(client);
    } catch (error) {
      throw redisFailure(error, 'SOURCE_FAILED', `${what} on ${endpointLabel(ep)}`);
    } finally {
      client.disconnect();
    }
  }

  function checkClusterSetting(facts: RedisServerFacts): void {
    if (facts.clusterEnabled && !cluster) {
      throw new BackupError(
        'CONFIG_INVALID',
        `${label} is a Redis Cluster node: set cluster: true to back up every master (one node holds only its slots)`,
      );
    }
    if (!facts.clusterEnabled && cluster) {
      throw new BackupError(
        'CONFIG_INVALID',
        `${label} is not a Redis Cluster node (cluster_enabled:0): set cluster: false`,
      );
    }
  }

  async function clusterMasters(client: InfoClient): Promise<ClusterNodeInfo[]> {
    const text = String(await client.call('CLUSTER', 'NODES'));
    const nodes = parseClusterNodes(text, endpoint.host);
    const masters = nodes.filter(
      (n) =>
        n.role === 'master' && n.slots.length > 0 && !n.flags.some((f) => f === 'fail' || f === 'noaddr'),
    );
    if (masters.length === 0)
      throw new BackupError('SOURCE_FAILED', `CLUSTER NODES on ${label} lists no master with slots`);
    return masters;
  }

  const moduleNames = (facts: RedisServerFacts) => facts.modules.map((m) => m.name);

  /** Units of a single server (not a cluster): `instance` in RDB mode, `db<N>` per database in keys mode. */
  function instanceUnits(facts: RedisServerFacts): BackupUnit[] {
    const common = {
      server: label,
      serverVersion: facts.version,
      usedMemory: facts.usedMemory,
      modules: moduleNames(facts),
    };
    if (mode === 'rdb') {
      return [{ name: INSTANCE_UNIT, kind: 'instance', metadata: { ...common, keyspace: facts.keyspace } }];
    }
    let dbs = options.databases ?? (endpoint.db === undefined ? undefined : [endpoint.db]);
    dbs ??= [...new Set([0, ...Object.keys(facts.keyspace).map((d) => Number(d.slice(2)))])];
    return [...dbs]
      .sort((a, b) => a - b)
      .map((db) => ({
        name: dbUnitName(db),
        kind: 'database',
        metadata: {
          ...common,
          db,
          keys: facts.keyspace[`db${db}`]?.keys ?? 0,
          expires: facts.keyspace[`db${db}`]?.expires ?? 0,
        },
      }));
  }

  async function findChecker(): Promise<number | undefined> {
    checkerVersion ??= new Promise((resolve) => {
      // node:child_process on first use, not at import (docs/performance.md, "Start-up").
      process
        .getBuiltinModule('node:child_process')
        .execFile(
          options.redisCheckRdb ?? 'redis-check-rdb',
          ['--version'],
          { timeout: 10_000 },
          (error, stdout) => {
            if (error) return resolve(undefined);
            const version = /(\d+\.\d+\.\d+)/.exec(String(stdout))?.[1];
            resolve(
              version === undefined
                ? Number.MAX_SAFE_INTEGER
                : (rdbVersionOfRedis(version) ?? Number.MAX_SAFE_INTEGER),
            );
          },
        );
    });
    return checkerVersion;
  }

  return {
    name: 'redis',

    async describe(ctx: EngineContext): Promise<EngineDescription> {
      return withClient(endpoint, 'Reading INFO', async (client) => {
        const facts = await readServerFacts(client);
        checkClusterSetting(facts);
        // Only a single server's discover uses them; a cluster's reads CLUSTER NODES.
        if (!cluster) describedFacts.set(ctx, facts);
        const metadata: Record<string, unknown> = {
          mode,
          server: label,
          redisMode: facts.mode,
          role: facts.role,
          usedMemory: facts.usedMemory,
          usedMemoryHuman: facts.usedMemoryHuman,
          keyspace: facts.keyspace,
          modules: facts.modules,
          ...(facts.maxmemoryPolicy === undefined ? {} : { maxmemoryPolicy: facts.maxmemoryPolicy }),
          ...(rdbVersionOfRedis(facts.version) === undefined
            ? {}
            : { rdbVersion: rdbVersionOfRedis(facts.version) }),
          ...(endpoint.username === undefined ? {} : { user: endpoint.username }),
          tls: endpoint.tls,
        };
        if (cluster) {
          const nodes = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')), endpoint.host);
          metadata['cluster'] = {
            nodes: nodes.map((n) => ({
              id: n.id,
              host: n.host,
              port: n.port,
              role: n.role,
              ...(n.masterId === undefined ? {} : { masterId: n.masterId }),
              slots: n.slots,
              flags: n.flags.filter((f) => f !== 'myself'),
            })),
          };
          // usedMemory and keyspace of the whole cluster.
          let usedMemory = 0;
          const keyspace: Record<string, { keys: number; expires: number }> = {};
          for (const master of await clusterMasters(client)) {
            const masterFacts = await withClient(
              nodeEndpoint(master.host, master.port),
              'Reading INFO',
              readServerFacts,
            );
            usedMemory += masterFacts.usedMemory;
            for (const [db, entry] of Object.entries(masterFacts.keyspace)) {
              const sum = keyspace[db] ?? { keys: 0, expires: 0 };
              sum.keys += entry.keys;
              sum.expires += entry.expires;
              keyspace[db] = sum;
            }
          }
          metadata['usedMemory'] = usedMemory;
          metadata['keyspace'] = keyspace;
          delete metadata['usedMemoryHuman'];
        }
        return { version: facts.version, metadata };
      });
    },

    async discover(ctx: EngineContext): Promise<BackupUnit[]> {
      // runBackup calls describe and then discover with one context: a single server's INFO is
      // read once (one connection less before SYNC, ~5 ms). Cluster discovery reads CLUSTER NODES.
      const described = describedFacts.get(ctx);
      if (described) return instanceUnits(described);
      return withClient(endpoint, 'Discovering units', async (client) => {
        const facts = await readServerFacts(client);
        checkClusterSetting(facts);
        if (cluster) {
          const units: BackupUnit[] = [];
          for (const master of await clusterMasters(client)) {
            const server = endpointLabel(master);
            const masterFacts = await withClient(
              nodeEndpoint(master.host, master.port),
              'Reading INFO',
              readServerFacts,
            );
            units.push({
              name: masterUnitName(master.host, master.port),
              kind: 'master',
              metadata: {
                server,
                host: master.host,
                port: master.port,
                nodeId: master.id,
                slots: master.slots,
                serverVersion: masterFacts.version,
                keyspace: masterFacts.keyspace,
                usedMemory: masterFacts.usedMemory,
                modules: moduleNames(masterFacts),
                db: 0,
              },
            });
          }
          return units;
        }
        return instanceUnits(facts);
      });
    },

    async backup(unit: BackupUnit, sink: ArtifactSink, ctx: EngineContext) {
      const meta = unit.metadata ?? {};
      const ep =
        unit.kind === 'master'
          ? nodeEndpoint(String(meta['host']), Number(meta['port']))
          : { ...endpoint, db: undefined };
      const server = endpointLabel(ep);
      const serverVersion = typeof meta['serverVersion'] === 'string' ? meta['serverVersion'] : 'unknown';
      if (mode === 'rdb') {
        // Magic, version and the EOF opcode before the trailer on the fly; the CRC64 is recomputed
        // by verify (the cronjob verifies every new set), which keeps the transfer at redis-cli speed.
        const check = new RdbStreamCheck({ verifyCrc: false });
        const head: Buffer[] = [];
        let headBytes = 0;
        let result: RdbCheckResult | undefined;
        const transfer = await openRdbStream({
          endpoint: ep,
          tls: tlsFor(ep, options.tls),
          signal: ctx.signal,
          logger: ctx.logger,
          connectTimeoutMs: options.connectTimeoutMs,
          idleTimeoutMs: options.idleTimeoutMs,
          onChunk: (chunk) => {
            check.update(chunk);
            if (headBytes < 65_536) {
              head.push(chunk.subarray(0, 65_536 - headBytes));
              headBytes += Math.min(chunk.length, 65_536 - headBytes);
            }
          },
          onEnd: () => {
            result = check.finish();
          },
        });
        ctx.logger.info(
          { unit: unit.name, server, transfer: transfer.transfer, bytes: transfer.length },
          'RDB transfer started',
        );
        await sink
          .write({
            name: rdbArtifactName(unit.name),
            unit: unit.name,
            mediaType: REDIS_RDB_MEDIA_TYPE,
            source: transfer.stream,
            metadata: { format: 'rdb', server, serverVersion, transfer: transfer.transfer },
          })
          .catch((error: unknown) => {
            transfer.stream.destroy();
            throw error;
          });
        if (!result) throw new BackupError('INTERNAL', `RDB of ${server} ended without its final check`);
        const header = readRdbHeader(Buffer.concat(head));
        return {
          rdbVersion: result.rdbVersion,
          rdbBytes: result.bytes,
          checksum: result.checksum,
          crc64: result.crc64,
          transfer: transfer.transfer,
          aux: header.aux,
        };
      }
      const db = typeof meta['db'] === 'number' ? meta['db'] : 0;
      const connection = await RespConnection.open(ep, {
        tls: tlsFor(ep, options.tls),
        db,
        connectTimeoutMs: options.connectTimeoutMs,
        signal: ctx.signal,
      });
      try {
        const stats: ExportKeysStats = { records: 0, vanished: 0, rdbVersion: null, types: {} };
        const major = Number(/^(\d+)/.exec(serverVersion)?.[1] ?? 7);
        const source = Readable.from(
          exportKeys(
            {
              connection,
              db,
              source: server,
              serverVersion,
              match: options.match,
              scanCount: options.scanCount,
              ttlCommand: major >= 7 ? 'pexpiretime' : 'pttl',
              signal: ctx.signal,
            },
            stats,
          ),
          { objectMode: false, highWaterMark: 1 << 20 },
        );
        await sink.write({
          name: keysArtifactName(unit.name),
          unit: unit.name,
          mediaType: REDIS_KEYS_MEDIA_TYPE,
          source,
          metadata: {
            format: REDIS_KEYS_FORMAT,
            formatVersion: REDIS_KEYS_FORMAT_VERSION,
            server,
            serverVersion,
            db,
            ...(options.match === undefined ? {} : { match: options.match }),
          },
        });
        return {
          records: stats.records,
          vanished: stats.vanished,
          rdbVersion: stats.rdbVersion,
          types: stats.types,
        };
      } finally {
        connection.close();
      }
    },

    async verify(artifact: ArtifactRecord, plaintext: Readable, ctx: EngineContext): Promise<void> {
      if (artifact.mediaType === REDIS_RDB_MEDIA_TYPE) {
        let checker: string | undefined;
        const setting = options.checkRdb ?? 'auto';
        if (setting !== false) {
          const toolRdb = await findChecker();
          const serverVersion = artifact.metadata['serverVersion'];
          const fileRdb = typeof serverVersion === 'string' ? rdbVersionOfRedis(serverVersion) : undefined;
          if (toolRdb === undefined && setting === true) {
            plaintext.destroy();
            throw new BackupError(
              'VERIFY_FAILED',
              `checkRdb: true but ${options.redisCheckRdb ?? 'redis-check-rdb'} cannot run (install redis-tools)`,
            );
          }
          if (toolRdb !== undefined && (setting === true || fileRdb === undefined || fileRdb <= toolRdb)) {
            checker = options.redisCheckRdb ?? 'redis-check-rdb';
          } else if (toolRdb !== undefined) {
            ctx.logger.debug(
              { artifact: artifact.name, fileRdb, toolRdb },
              'redis-check-rdb too old for this RDB: skipped',
            );
          }
        }
        const summary = await verifyRdb(plaintext, { name: artifact.name, redisCheckRdb: checker }, ctx);
        ctx.logger.debug(
          {
            artifact: artifact.name,
            rdbVersion: summary.rdbVersion,
            keys: summary.keys,
            checksum: summary.checksum,
          },
          'RDB verified',
        );
        return;
      }
      if (artifact.mediaType === REDIS_KEYS_MEDIA_TYPE) {
        const result = await verifyKeys(plaintext, artifact.name);
        ctx.logger.debug(
          { artifact: artifact.name, db: result.db, records: result.records },
          'keys artifact verified',
        );
        return;
      }
      plaintext.destroy();
      throw new BackupError(
        'VERIFY_FAILED',
        `${artifact.name} has media type ${artifact.mediaType}, which the redis engine does not write`,
      );
    },

    async restore(input: RestoreInput<RedisRestoreOptions>, ctx: EngineContext): Promise<RestoreResult> {
      const opts = input.options ?? {};
      validateRestoreOptions(opts);
      const { unit } = input;
      const replace = opts.replace ?? false;
      const rdb = input.artifacts.find((a) => a.mediaType === REDIS_RDB_MEDIA_TYPE);
      const keys = input.artifacts.find((a) => a.mediaType === REDIS_KEYS_MEDIA_TYPE);
      const artifact = rdb ?? keys;
      if (!artifact) {
        throw new BackupError('RESTORE_FAILED', `Unit ${unit.name} has no RDB or keys artifact in this set`);
      }
      const open = () => input.open(artifact);

      if (opts.toFile !== undefined) {
        if (!rdb) {
          throw new BackupError(
            'CONFIG_INVALID',
            `toFile writes RDB files, but unit ${unit.name} is a keys-mode backup: restore it over the network`,
          );
        }
        const fileName = rdbArtifactName(unit.name);
        const key = `${opts.toFile}\0${fileName}`;
        const previous = toFileTargets.get(key);
        if (previous !== undefined && previous !== unit.name) {
          throw new BackupError(
            'CONFIG_INVALID',
            `toFile ${opts.toFile} already received unit ${previous}; give a directory (one file per master) or restore one unit at a time`,
          );
        }
        toFileTargets.set(key, unit.name);
        const written = await writeRdbFile({ unit: unit.name, path: opts.toFile, fileName, replace, open });
        ctx.logger.info(
          { unit: unit.name, path: written.path, bytes: written.bytes },
          'RDB written for file placement',
        );
        return {
          unit: unit.name,
          target: written.path,
          metadata: {
            mode: 'file',
            path: written.path,
            bytes: written.bytes,
            rdbVersion: written.rdbVersion,
            checksum: written.checksum,
            next: 'stop the server, move the file to <dir>/dump.rdb (dbfilename), start it: docs/redis.md',
          },
        };
      }

      const targetEndpoint =
        opts.targetUrl === undefined ? endpoint : parseRedisUrl(opts.targetUrl, 'targetUrl');
      const target = await RestoreTarget.open(targetEndpoint, {
        tls: tlsFor(targetEndpoint, opts.targetTls ?? options.tls),
        logger: ctx.logger,
      });
      try {
        const meta = unit.metadata;
        let metadata: Record<string, unknown>;
        if (rdb) {
          const keyspace = (meta['keyspace'] ?? {}) as Record<string, { keys?: number }>;
          const recorded = Object.entries(keyspace)
            .filter(([, entry]) => (entry?.keys ?? 0) > 0)
            .map(([db]) => Number(db.slice(2)))
            .filter((db) => Number.isInteger(db));
          const modules = Array.isArray(meta['modules'])
            ? (meta['modules'] as unknown[]).map((m) =>
                typeof m === 'string' ? m : String((m as { name?: unknown }).name),
              )
            : [];
          metadata = await restoreRdb(
            {
              unit: unit.name,
              recordedDatabases: recorded,
              modules,
              open,
              target,
              replace,
              databases: opts.databases,
              batchSize,
              claimed: claimedFor(ctx, target.label),
            },
            ctx,
          );
        } else {
          const db = typeof meta['db'] === 'number' ? meta['db'] : 0;
          if (opts.databases !== undefined && !opts.databases.includes(db)) {
            return {
              unit: unit.name,
              target: target.label,
              metadata: { skipped: true, reason: `db${db} not in databases` },
            };
          }
          metadata = await restoreKeys(
            { unit: unit.name, db, open, target, replace, batchSize, claimed: claimedFor(ctx, target.label) },
            ctx,
          );
        }
        return {
          unit: unit.name,
          target: target.label,
          metadata: {
            mode: rdb ? 'rdb' : 'keys',
            replace,
            targetVersion: target.version,
            cluster: target.cluster,
            ...metadata,
          },
        };
      } finally {
        await target.close();
      }
    },
  };
}

function validateOptions(options: RedisEngineOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `redis engine option ${field} must be ${expected}`);
  };
  if (typeof options !== 'object' || options === null) invalid('options', 'an object');
  if (typeof options.url !== 'string' || options.url === '') invalid('url', 'a redis:// or rediss:// URL');
  if (options.mode !== undefined && options.mode !== 'rdb' && options.mode !== 'keys')
    invalid('mode', '"rdb" or "keys"');
  const mode = options.mode ?? 'rdb';
  if (options.match !== undefined) {
    if (typeof options.match !== 'string' || options.match === '')
      invalid('match', 'a non-empty SCAN pattern');
    if (mode !== 'keys') invalid('match', 'used with mode: keys only (an RDB holds every key)');
  }
  if (options.databases !== undefined) {
    if (
      !Array.isArray(options.databases) ||
      options.databases.length === 0 ||
      !options.databases.every(isDb)
    ) {
      invalid('databases', 'a non-empty list of database numbers');
    }
    if (mode !== 'keys') {
      invalid(
        'databases',
        'used with mode: keys only (an RDB holds every database; filter with the restore option databases)',
      );
    }
    if (options.cluster && options.databases.some((db) => db !== 0))
      invalid('databases', '[0] for a cluster (it has only db0)');
  }
  if (options.cluster !== undefined && typeof options.cluster !== 'boolean')
    invalid('cluster', 'true or false');
  for (const field of ['scanCount', 'batchSize', 'connectTimeoutMs', 'idleTimeoutMs'] as const) {
    const value = options[field];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) invalid(field, 'a positive integer');
  }
  if (
    options.checkRdb !== undefined &&
    options.checkRdb !== 'auto' &&
    typeof options.checkRdb !== 'boolean'
  ) {
    invalid('checkRdb', '"auto", true or false');
  }
  validateTls(options.tls, 'tls');
  parseRedisUrl(options.url);
}

function validateRestoreOptions(options: RedisRestoreOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `redis restore option ${field} must be ${expected}`);
  };
  if (options.targetUrl !== undefined) {
    if (typeof options.targetUrl !== 'string' || options.targetUrl === '')
      invalid('targetUrl', 'a redis:// URL');
    parseRedisUrl(options.targetUrl, 'targetUrl');
  }
  if (options.replace !== undefined && typeof options.replace !== 'boolean')
    invalid('replace', 'true or false');
  if (options.toFile !== undefined && (typeof options.toFile !== 'string' || options.toFile === '')) {
    invalid('toFile', 'a file or directory path');
  }
  if (
    options.databases !== undefined &&
    !(Array.isArray(options.databases) && options.databases.length > 0 && options.databases.every(isDb))
  ) {
    invalid('databases', 'a non-empty list of database numbers');
  }
  if (options.toFile !== undefined && options.databases !== undefined) {
    invalid('databases', 'left out with toFile (the file holds every database)');
  }
  validateTls(options.targetTls, 'targetTls');
}

function validateTls(tls: RedisTlsOptions | undefined, field: string): void {
  if (tls === undefined) return;
  if (typeof tls !== 'object' || tls === null) {
    throw new BackupError('CONFIG_INVALID', `redis option ${field} must be an object`);
  }
  for (const key of ['caFile', 'certFile', 'keyFile', 'servername'] as const) {
    const value = tls[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new BackupError('CONFIG_INVALID', `redis option ${field}.${key} must be a non-empty string`);
    }
  }
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') {
    throw new BackupError('CONFIG_INVALID', `redis option ${field}.rejectUnauthorized must be true or false`);
  }
}

function isDb(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < 100_000;
}
