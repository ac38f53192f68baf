import type { Readable } from 'node:stream';
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
import { exportArtifactName } from './artifactNames.js';
import { backupCollectionSnapshot, type CollectionSnapshotFacts } from './backupCollectionSnapshot.js';
import { backupFullSnapshot } from './backupFullSnapshot.js';
import { checkCollectionSnapshot } from './checkCollectionSnapshot.js';
import { checkFullSnapshot } from './checkFullSnapshot.js';
import { describeCollection } from './describeCollection.js';
import { exportCollection } from './exportCollection.js';
import { QDRANT_EXPORT_FORMAT, QDRANT_EXPORT_FORMAT_VERSION } from './exportFormat.js';
import { importCollection } from './importCollection.js';
import { inspectCollectionSnapshot } from './inspectCollectionSnapshot.js';
import { inspectFullSnapshot } from './inspectFullSnapshot.js';
import { inspectNodes, type QdrantNodeInfo } from './inspectNodes.js';
import { QDRANT_EXPORT_MEDIA_TYPE, QDRANT_SNAPSHOT_MEDIA_TYPE } from './mediaTypes.js';
import { QdrantConnection } from './QdrantConnection.js';
import { qdrantJobOptionsSchema } from './qdrantJobOptionsSchema.js';
import { resolvePeerTargets } from './resolvePeerTargets.js';
import { restoreCollectionSnapshot } from './restoreCollectionSnapshot.js';
import { restoreFullSnapshot } from './restoreFullSnapshot.js';
import { selectCollections } from './selectCollections.js';
import { verifyExport } from './verifyExport.js';

/** Name of the single unit of mode `full` (kind `full-snapshot`); its artifact is `storage.snapshot`. */
export const FULL_SNAPSHOT_UNIT = 'storage';

/** Options of {@link createQdrantEngine}: the source deployment and what to back up. */
export interface QdrantEngineOptions {
  /** REST URL of a single node, `http(s)://host:6333`. Exactly one of `url` / `nodes`. */
  url?: string | undefined;
  /**
   * REST URLs of EVERY node of a distributed cluster. Each collection is snapshotted on each node
   * (a snapshot holds only that node's shards, protocols.md §1.3); `describe` fails with
   * `CONFIG_INVALID` when a peer of the cluster is missing from the list.
   */
  nodes?: string[] | undefined;
  /** `api-key` header value; default `env.QDRANT_API_KEY`; none when both are unset. */
  apiKey?: string | undefined;
  /** Environment for `QDRANT_API_KEY`; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** `'all'` (default) or collection names (each must exist, else `CONFIG_INVALID`). */
  collections?: 'all' | string[] | undefined;
  /** Collection names to skip; default none. */
  exclude?: string[] | undefined;
  /**
   * `snapshot` (default): one native snapshot per collection and node, artifact
   * `<collection>.snapshot` (`application/x-tar`). `full`: one storage snapshot with aliases, unit
   * `storage`, artifact `storage.snapshot` (single node only). `export`: portable NDJSON,
   * `<collection>.ndjson` (`application/x-ndjson`), restorable onto any Qdrant version.
   */
  mode?: 'snapshot' | 'full' | 'export' | undefined;
  /** Delete each server-side snapshot after downloading it (also after a failure); default `true`. */
  deleteServerSnapshots?: boolean | undefined;
  /** Milliseconds per JSON request and longest silence of a download; default 300 000. */
  timeoutMs?: number | undefined;
  /** Milliseconds for snapshot creation and restore requests (`wait=true`); default 21 600 000 (6 h). */
  snapshotTimeoutMs?: number | undefined;
  /** Retries of idempotent requests on transient errors; default 3. */
  retries?: number | undefined;
  /** First retry delay in milliseconds, doubled per retry; default 1000. */
  retryDelayMs?: number | undefined;
  /** Points per scroll page (export) and per upsert (import); default 256. */
  batchSize?: number | undefined;
}

/** Options of the engine's `restore`: where to restore and how safely. */
export interface QdrantRestoreOptions {
  /** Target node URL; default the engine's own node(s). */
  targetUrl?: string | undefined;
  /** Target cluster nodes (distributed restore); default the engine's own nodes. */
  targetNodes?: string[] | undefined;
  /** `api-key` of the target; default the engine's key. */
  targetApiKey?: string | undefined;
  /**
   * Restore a single collection under this name. Restoring several collection units with the same
   * `into` throws `CONFIG_INVALID`; not allowed for a full snapshot.
   */
  into?: string | undefined;
  /** Replace a target collection that holds points (and repoint aliases). Default `false`: `TARGET_NOT_EMPTY`. */
  replace?: boolean | undefined;
  /**
   * `upload` (default): stream the artifact to Qdrant (multipart). `recover-url`: Qdrant downloads
   * the artifact itself from `presignedUrl` / `presign(artifact)` (artifacts stored uncompressed and
   * unencrypted only); for very large snapshots.
   */
  method?: 'upload' | 'recover-url' | undefined;
  /** URL of the artifact for `recover-url` (a presigned S3 URL); single-artifact units only. */
  presignedUrl?: string | undefined;
  /** Returns a URL Qdrant can GET the stored artifact from, for `recover-url`. */
  presign?: ((artifact: ArtifactRecord) => Promise<string>) | undefined;
  /** Source peer id -> target node URL, for restoring a distributed backup onto another cluster. */
  nodeMap?: Record<string, string> | undefined;
}

/**
 * Creates the Qdrant engine (name `qdrant`). Units: one per collection (kind `collection`, metadata
 * from `describeCollection`: config, vectors, sparse vectors, points count, payload schema, per-node
 * shard layout), or in mode `full` one unit `storage` (kind `full-snapshot`, metadata: collection
 * names and aliases; after backup the inner snapshots' checksums). Uses `@qdrant/js-client-rest`
 * for the JSON API, lossless raw JSON for point data, and plain streaming HTTP for snapshot bodies.
 *
 * - `describe`: version of the first node (`1.19.0`), metadata `mode`, `distributed`, `nodes`
 *   (`url`, `version`, `commit`, `cluster`, `peerId`, `peers`).
 * - `backup`: `backupCollectionSnapshot` on every node, `backupFullSnapshot`, or `exportCollection`.
 * - `verify`: snapshot tar layout (`checkCollectionSnapshot` / `checkFullSnapshot`) or NDJSON
 *   structure (`verifyExport`).
 * - `restore`: `restoreCollectionSnapshot`, `restoreFullSnapshot` or `importCollection`, chosen by
 *   the set's artifacts (not by the engine's mode); see {@link QdrantRestoreOptions}.
 *
 * @throws BackupError `CONFIG_INVALID` at creation for malformed options (message names the
 *   field). Engine calls throw `SOURCE_FAILED`, `CHECKSUM_MISMATCH`, `CONFIG_INVALID`,
 *   `VERIFY_FAILED`, `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `ABORTED`.
 */
export function createQdrantEngine(options: QdrantEngineOptions): Engine<QdrantRestoreOptions> {
  const settings = validateOptions(options);
  const env = options.env ?? process.env;
  const apiKey = settings.apiKey ?? (env['QDRANT_API_KEY'] || undefined);
  const retry = { retries: settings.retries, delayMs: settings.retryDelayMs };
  const connect = (url: string, key: string | undefined) =>
    new QdrantConnection({
      url,
      apiKey: key,
      timeoutMs: settings.timeoutMs,
      snapshotTimeoutMs: settings.snapshotTimeoutMs,
      retry,
    });
  const urls = settings.nodes ?? [settings.url!];
  const conns = urls.map((url) => connect(url, apiKey));
  const distributed = conns.length > 1;
  let nodes: QdrantNodeInfo[] | undefined;
  /** Targets of `into` restores done by this engine, to refuse merging two collections into one. */
  const intoTargets = new Map<string, string>();

  const topology = async (ctx: EngineContext): Promise<QdrantNodeInfo[]> => {
    if (!nodes) {
      const infos = await inspectNodes(conns, ctx);
      if (settings.mode === 'full' && infos[0]!.cluster === 'enabled' && (infos[0]!.peers?.length ?? 1) > 1) {
        throw new BackupError(
          'CONFIG_INVALID',
          `mode full needs a single-node deployment; ${infos[0]!.url} is one of ${infos[0]!.peers?.length} peers ` +
            '(full snapshots are only suitable for single node deployments): use mode snapshot',
        );
      }
      nodes = infos;
    }
    return nodes;
  };

  return {
    name: 'qdrant',

    async describe(ctx: EngineContext): Promise<EngineDescription> {
      // A new run starts with describe: read the topology afresh (nodes may have changed).
      nodes = undefined;
      const infos = await topology(ctx);
      const versions = new Set(infos.map((i) => i.version));
      if (versions.size > 1) {
        ctx.logger.warn({ versions: [...versions] }, 'the Qdrant nodes run different versions');
      }
      return {
        version: infos[0]!.version,
        metadata: { mode: settings.mode, distributed, nodes: infos },
      };
    },

    async discover(ctx: EngineContext): Promise<BackupUnit[]> {
      await topology(ctx);
      const listed = await conns[0]!.call((c) => c.getCollections(), {
        what: 'Listing collections (GET /collections)',
        signal: ctx.signal,
        logger: ctx.logger,
        retry: true,
      });
      const names = listed.collections.map((c) => c.name);
      if (settings.mode === 'full') {
        const aliases = await conns[0]!.call((c) => c.getAliases(), {
          what: 'Listing aliases (GET /aliases)',
          signal: ctx.signal,
          logger: ctx.logger,
          retry: true,
        });
        return [
          {
            name: FULL_SNAPSHOT_UNIT,
            kind: 'full-snapshot',
            metadata: {
              collectionNames: [...names].sort(),
              aliasesAtDiscovery: Object.fromEntries(
                aliases.aliases.map((a) => [a.alias_name, a.collection_name]),
              ),
            },
          },
        ];
      }
      const selected = selectCollections(names, settings.collections, settings.exclude, conns[0]!.label);
      const units: BackupUnit[] = [];
      for (const name of selected) {
        units.push({ name, kind: 'collection', metadata: await describeCollection(conns, name, ctx) });
      }
      return units;
    },

    async backup(unit: BackupUnit, sink: ArtifactSink, ctx: EngineContext) {
      const infos = await topology(ctx);
      if (unit.kind === 'full-snapshot') {
        const { facts } = await backupFullSnapshot(
          conns[0]!,
          infos[0]!,
          { unit: unit.name, deleteServerSnapshots: settings.deleteServerSnapshots },
          sink,
          ctx,
        );
        return { ...facts };
      }
      if (unit.kind !== 'collection') {
        throw new BackupError('INTERNAL', `The qdrant engine has no unit kind "${unit.kind}"`);
      }
      if (settings.mode === 'export') {
        const exported = exportCollection(
          conns[0]!,
          unit.name,
          { batchSize: settings.batchSize, qdrantVersion: infos[0]!.version },
          ctx,
        );
        await sink.write({
          name: exportArtifactName(unit.name),
          unit: unit.name,
          mediaType: QDRANT_EXPORT_MEDIA_TYPE,
          source: exported.stream,
          metadata: {
            kind: 'export',
            collection: unit.name,
            format: QDRANT_EXPORT_FORMAT,
            formatVersion: QDRANT_EXPORT_FORMAT_VERSION,
            node: conns[0]!.label,
            qdrantVersion: infos[0]!.version,
          },
        });
        return { exportedPoints: exported.points };
      }
      const snapshots: CollectionSnapshotFacts[] = [];
      for (const [i, conn] of conns.entries()) {
        const { facts } = await backupCollectionSnapshot(
          conn,
          infos[i]!,
          {
            collection: unit.name,
            unit: unit.name,
            distributed,
            deleteServerSnapshots: settings.deleteServerSnapshots,
          },
          sink,
          ctx,
        );
        snapshots.push(facts);
      }
      return { snapshots };
    },

    async verify(artifact: ArtifactRecord, plaintext: Readable, ctx: EngineContext): Promise<void> {
      const kind = artifact.metadata['kind'];
      try {
        if (artifact.mediaType === QDRANT_SNAPSHOT_MEDIA_TYPE && kind === 'collection-snapshot') {
          const shards = checkCollectionSnapshot(await inspectCollectionSnapshot(plaintext), artifact.name);
          ctx.logger.debug({ artifact: artifact.name, shards }, 'collection snapshot verified');
          return;
        }
        if (artifact.mediaType === QDRANT_SNAPSHOT_MEDIA_TYPE && kind === 'full-snapshot') {
          const { collections } = checkFullSnapshot(await inspectFullSnapshot(plaintext), artifact.name);
          ctx.logger.debug(
            { artifact: artifact.name, collections: Object.keys(collections) },
            'full snapshot verified',
          );
          return;
        }
        if (artifact.mediaType === QDRANT_EXPORT_MEDIA_TYPE) {
          const points = await verifyExport(plaintext, artifact.name);
          ctx.logger.debug({ artifact: artifact.name, points }, 'export verified');
          return;
        }
      } catch (error) {
        plaintext.destroy();
        if (error instanceof BackupError) throw error;
        throw new BackupError(
          'VERIFY_FAILED',
          `${artifact.name} is not a readable archive: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      plaintext.destroy();
      throw new BackupError(
        'VERIFY_FAILED',
        `${artifact.name} has media type ${artifact.mediaType} (kind ${String(kind)}), which the qdrant engine does not write`,
      );
    },

    async restore(input: RestoreInput<QdrantRestoreOptions>, ctx: EngineContext): Promise<RestoreResult> {
      const opts = input.options ?? {};
      validateRestoreOptions(opts);
      const key = opts.targetApiKey ?? apiKey;
      const targetUrls = opts.targetNodes ?? (opts.targetUrl === undefined ? undefined : [opts.targetUrl]);
      const targets = targetUrls === undefined ? conns : targetUrls.map((url) => connect(url, key));
      const primary = targets[0]!;
      const replace = opts.replace ?? false;
      const { unit } = input;
      if (unit.kind === 'full-snapshot') {
        if (opts.into !== undefined) {
          throw new BackupError('CONFIG_INVALID', 'into cannot rename the collections of a full snapshot');
        }
        const artifact = input.artifacts.find((a) => a.metadata['kind'] === 'full-snapshot');
        if (!artifact)
          throw new BackupError('RESTORE_FAILED', `Unit ${unit.name} has no full snapshot artifact`);
        return restoreFullSnapshot({ unit, conn: primary, replace, open: () => input.open(artifact) }, ctx);
      }
      if (unit.kind !== 'collection') {
        throw new BackupError('RESTORE_FAILED', `The qdrant engine cannot restore unit kind "${unit.kind}"`);
      }
      const collection = opts.into ?? unit.name;
      if (opts.into !== undefined) {
        const where = `${primary.label}/${collection}`;
        const previous = intoTargets.get(where);
        if (previous !== undefined && previous !== unit.name) {
          throw new BackupError(
            'CONFIG_INVALID',
            `into: "${collection}" already received collection ${previous}; restore ${unit.name} on its own ` +
              `(units: ['${unit.name}']) with another into`,
          );
        }
        intoTargets.set(where, unit.name);
      }
      const exported = input.artifacts.find((a) => a.mediaType === QDRANT_EXPORT_MEDIA_TYPE);
      if (exported) {
        const result = await importCollection(
          primary,
          await input.open(exported),
          { collection, replace, batchSize: settings.batchSize, artifact: exported.name },
          ctx,
        );
        return {
          unit: unit.name,
          target: `${primary.label}/collections/${collection}`,
          metadata: { method: 'import', pointsCount: result.points, replaced: result.replaced },
        };
      }
      const snapshots = input.artifacts.filter((a) => a.metadata['kind'] === 'collection-snapshot');
      if (snapshots.length === 0) {
        throw new BackupError(
          'RESTORE_FAILED',
          `Unit ${unit.name} has no snapshot or export artifact in this set`,
        );
      }
      const nodeMap = new Map(
        Object.entries(opts.nodeMap ?? {}).map(([peer, url]) => [peer, connect(url, key)] as const),
      );
      const placements = await resolvePeerTargets(snapshots, targets, nodeMap, ctx);
      const method = opts.method ?? 'upload';
      let locate: ((artifact: ArtifactRecord) => Promise<string>) | undefined;
      if (opts.presign) locate = opts.presign;
      else if (opts.presignedUrl !== undefined) {
        if (snapshots.length > 1) {
          throw new BackupError(
            'CONFIG_INVALID',
            'presignedUrl serves one artifact; this unit has several: use presign',
          );
        }
        const url = opts.presignedUrl;
        locate = async () => url;
      }
      return restoreCollectionSnapshot(
        { unit, placements, primary, collection, replace, method, locate, open: (a) => input.open(a) },
        ctx,
      );
    },
  };
}

function validateOptions(options: QdrantEngineOptions) {
  const { env: _env, ...keys } = options;
  const parsed = qdrantJobOptionsSchema.safeParse(keys);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BackupError(
      'CONFIG_INVALID',
      `qdrant engine option ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const settings = parsed.data;
  if ((settings.url === undefined) === (settings.nodes === undefined)) {
    throw new BackupError(
      'CONFIG_INVALID',
      'qdrant engine: give exactly one of url (one node) or nodes (a cluster)',
    );
  }
  if (settings.mode === 'full' && (settings.nodes?.length ?? 1) > 1) {
    throw new BackupError(
      'CONFIG_INVALID',
      'qdrant engine: mode full is for single-node deployments (full snapshots are only suitable for single node deployments); use mode snapshot with nodes',
    );
  }
  return settings;
}

function validateRestoreOptions(options: QdrantRestoreOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `qdrant restore option ${field} must be ${expected}`);
  };
  for (const field of ['targetUrl', 'targetApiKey', 'into', 'presignedUrl'] as const) {
    const value = options[field];
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      invalid(field, 'a non-empty string');
  }
  if (options.targetUrl !== undefined && options.targetNodes !== undefined) {
    invalid('targetUrl', 'left out when targetNodes is given');
  }
  if (
    options.targetNodes !== undefined &&
    !(
      Array.isArray(options.targetNodes) &&
      options.targetNodes.length > 0 &&
      options.targetNodes.every((u) => typeof u === 'string')
    )
  ) {
    invalid('targetNodes', 'a non-empty list of node URLs');
  }
  if (options.replace !== undefined && typeof options.replace !== 'boolean')
    invalid('replace', 'true or false');
  if (options.method !== undefined && options.method !== 'upload' && options.method !== 'recover-url') {
    invalid('method', '"upload" or "recover-url"');
  }
  if (options.presign !== undefined && typeof options.presign !== 'function')
    invalid('presign', 'a function');
  if (
    options.nodeMap !== undefined &&
    (typeof options.nodeMap !== 'object' ||
      options.nodeMap === null ||
      !Object.entries(options.nodeMap).every(([k, v]) => /^\d+$/.test(k) && typeof v === 'string'))
  ) {
    invalid('nodeMap', 'an object of peer id -> node URL');
  }
}
