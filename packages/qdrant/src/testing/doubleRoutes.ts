import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Schemas } from '@qdrant/js-client-rest';
import Busboy from 'busboy';
import type { DoubleExchange } from './DoubleExchange.js';
import { DoubleError, plain } from './DoubleStore.js';
import { comparePointIds, type PointId, parsePointId } from './pointId.js';
import type { QdrantDouble } from './QdrantDouble.js';
import {
  applySnapshot,
  buildCollectionSnapshot,
  buildFullSnapshot,
  readCollectionSnapshot,
  snapshotTime,
} from './snapshotArchive.js';

type Handler = (node: QdrantDouble, x: DoubleExchange, params: string[]) => Promise<void> | void;

const ROUTES: [string, RegExp, Handler][] = [
  ['GET', /^\/$/, root],
  ['GET', /^\/cluster$/, clusterStatus],
  ['GET', /^\/collections$/, listCollections],
  ['GET', /^\/aliases$/, listAliases],
  ['POST', /^\/collections\/aliases$/, updateAliases],
  ['GET', /^\/snapshots$/, (n, x) => listSnapshots(n, x, fullDir(n))],
  ['POST', /^\/snapshots$/, createFullSnapshot],
  ['GET', /^\/snapshots\/([^/]+)$/, (n, x, [name]) => downloadSnapshot(n, x, fullDir(n), name!)],
  ['DELETE', /^\/snapshots\/([^/]+)$/, (n, x, [name]) => deleteSnapshot(n, x, fullDir(n), name!)],
  ['GET', /^\/collections\/([^/]+)$/, getCollection],
  ['PUT', /^\/collections\/([^/]+)$/, createCollection],
  ['DELETE', /^\/collections\/([^/]+)$/, deleteCollection],
  ['GET', /^\/collections\/([^/]+)\/exists$/, collectionExists],
  ['GET', /^\/collections\/([^/]+)\/cluster$/, collectionCluster],
  ['PUT', /^\/collections\/([^/]+)\/index$/, createIndex],
  ['PUT', /^\/collections\/([^/]+)\/points$/, upsertPoints],
  ['POST', /^\/collections\/([^/]+)\/points\/scroll$/, scrollPoints],
  ['POST', /^\/collections\/([^/]+)\/points\/count$/, countPoints],
  ['POST', /^\/collections\/([^/]+)\/snapshots\/upload$/, uploadSnapshot],
  ['PUT', /^\/collections\/([^/]+)\/snapshots\/recover$/, recoverSnapshot],
  ['GET', /^\/collections\/([^/]+)\/snapshots$/, (n, x, [c]) => listSnapshots(n, x, collectionDir(n, c!), c)],
  ['POST', /^\/collections\/([^/]+)\/snapshots$/, createSnapshot],
  [
    'GET',
    /^\/collections\/([^/]+)\/snapshots\/([^/]+)$/,
    (n, x, [c, s]) => downloadSnapshot(n, x, collectionDir(n, c!), s!, c),
  ],
  [
    'DELETE',
    /^\/collections\/([^/]+)\/snapshots\/([^/]+)$/,
    (n, x, [c, s]) => deleteSnapshot(n, x, collectionDir(n, c!), s!, c),
  ],
];

/** Dispatches a request to its endpoint; an unknown route answers actix's bare 404. */
export async function routeRequest(node: QdrantDouble, x: DoubleExchange): Promise<void> {
  for (const [method, pattern, handler] of ROUTES) {
    const match = method === x.method ? pattern.exec(x.path) : null;
    if (match) return handler(node, x, match.slice(1).map(decodeURIComponent));
  }
  x.violation('request', [`the double has no route for ${x.method} ${x.path}`]);
  x.res.writeHead(404).end();
}

function waitParam(x: DoubleExchange): boolean {
  const wait = x.query['wait'];
  if (wait === undefined) return true;
  if (wait !== 'true' && wait !== 'false') {
    throw new DoubleError(
      400,
      `Query deserialize error: invalid value: string "${wait}", expected a boolean`,
    );
  }
  return wait === 'true';
}

/** Runs `work` now (`wait=true`, the default) or in the background after answering 202. */
async function waitOrAccept<T>(
  x: DoubleExchange,
  work: () => Promise<T>,
  answer: (value: T) => void,
): Promise<void> {
  if (waitParam(x)) {
    answer(await work());
    return;
  }
  x.accepted();
  setTimeout(() => {
    work().catch(() => {});
  }, 20);
}

function root(node: QdrantDouble, x: DoubleExchange): void {
  const info: Schemas['VersionInfo'] = {
    title: 'qdrant - vector search engine',
    version: node.store.version,
    commit: node.store.commit,
  };
  x.sendJson(200, info);
}

function clusterStatus(node: QdrantDouble, x: DoubleExchange): void {
  const { store } = node;
  if (!store.distributed) {
    const status: Schemas['ClusterStatus'] = { status: 'disabled' };
    x.ok(status);
    return;
  }
  const leader = store.peers[0]!.peerId;
  // peer ids are u64 and may exceed 2^53: bigints, written exactly by lossless-json.
  x.ok({
    status: 'enabled',
    peer_id: node.peer.peerId,
    peers: Object.fromEntries(store.peers.map((p) => [String(p.peerId), { uri: p.uri }])),
    raft_info: {
      term: 3,
      commit: 42,
      pending_operations: 0,
      leader,
      role: leader === node.peer.peerId ? 'Leader' : 'Follower',
      is_voter: true,
    },
    consensus_thread_status: { consensus_thread_status: 'working', last_update: new Date().toISOString() },
    message_send_failures: {},
  });
}

function listCollections(node: QdrantDouble, x: DoubleExchange): void {
  const result: Schemas['CollectionsResponse'] = {
    collections: [...node.store.collections.keys()].map((name) => ({ name })),
  };
  x.ok(result);
}

function listAliases(node: QdrantDouble, x: DoubleExchange): void {
  const result: Schemas['CollectionsAliasesResponse'] = {
    aliases: [...node.store.aliases].map(([alias_name, collection_name]) => ({
      alias_name,
      collection_name,
    })),
  };
  x.ok(result);
}

function updateAliases(node: QdrantDouble, x: DoubleExchange): void {
  const body = plain(x.body) as Schemas['ChangeAliasesOperation'];
  const { aliases, collections } = node.store;
  const next = new Map(aliases);
  // alias_mapping.rs: insert overwrites, remove of a missing alias is no error, rename needs the old one.
  for (const action of body?.actions ?? []) {
    if ('create_alias' in action) {
      const { alias_name, collection_name } = action.create_alias;
      if (!collections.has(collection_name))
        throw new DoubleError(404, `Not found: Collection \`${collection_name}\` doesn't exist!`);
      if (collections.has(alias_name))
        throw new DoubleError(409, `Wrong input: Collection \`${alias_name}\` already exists!`);
      next.set(alias_name, collection_name);
    } else if ('delete_alias' in action) {
      next.delete(action.delete_alias.alias_name);
    } else if ('rename_alias' in action) {
      const target = next.get(action.rename_alias.old_alias_name);
      if (target === undefined)
        throw new DoubleError(404, `Not found: Alias ${action.rename_alias.old_alias_name} does not exists!`);
      next.delete(action.rename_alias.old_alias_name);
      next.set(action.rename_alias.new_alias_name, target);
    }
  }
  aliases.clear();
  for (const [alias, target] of next) aliases.set(alias, target);
  x.ok(true);
}

function getCollection(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  x.ok(node.store.info(node.store.get(name!)));
}

function createCollection(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  node.store.create(name!, (x.body ?? {}) as Record<string, unknown>);
  x.ok(true);
}

function deleteCollection(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  x.ok(node.store.delete(name!));
}

function collectionExists(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  const result: Schemas['CollectionExistence'] = { exists: node.store.collections.has(name!) };
  x.ok(result);
}

function collectionCluster(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  const { store } = node;
  const collection = store.get(name!);
  const count = Number(collection.config.params.shard_number ?? 1);
  const local: Schemas['LocalShardInfo'][] = [];
  const remote: { shard_id: number; peer_id: bigint; state: Schemas['ReplicaState'] }[] = [];
  for (let shard = 0; shard < count; shard++) {
    const owner = store.ownerOf(shard);
    if (owner.peerId === node.peer.peerId) {
      local.push({
        shard_id: shard,
        points_count: store.sortedPoints(collection, new Set([shard])).length,
        state: 'Active',
      });
    } else {
      remote.push({ shard_id: shard, peer_id: owner.peerId, state: 'Active' });
    }
  }
  x.ok({
    peer_id: node.peer.peerId,
    shard_count: count,
    local_shards: local,
    remote_shards: remote,
    shard_transfers: [],
  });
}

function updateResult(x: DoubleExchange, wait: boolean): void {
  const result: Schemas['UpdateResult'] = {
    operation_id: Math.floor(Math.random() * 1000),
    status: wait ? 'completed' : 'acknowledged',
  };
  x.ok(result);
}

function createIndex(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  const collection = node.store.get(name!);
  const body = plain(x.body) as Schemas['CreateFieldIndex'];
  if (!body?.field_name) throw new DoubleError(422, 'Validation error in JSON body: [field_name: required]');
  const schema = body.field_schema;
  if (schema === undefined || schema === null)
    throw new DoubleError(400, 'Wrong input: field_schema is required');
  collection.payloadSchema.set(
    body.field_name,
    typeof schema === 'string'
      ? { data_type: schema }
      : { data_type: schema.type as Schemas['PayloadSchemaType'], params: schema as Record<string, unknown> },
  );
  updateResult(x, waitParam(x));
}

function upsertPoints(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  const collection = node.store.get(name!);
  const body = x.body as { points?: unknown; batch?: unknown } | undefined;
  if (!body || !Array.isArray(body.points)) {
    throw new DoubleError(
      400,
      'Wrong input: the double implements the PointsList form ({"points": [...]}) only',
    );
  }
  node.store.upsert(collection, body.points);
  updateResult(x, waitParam(x));
}

function scrollPoints(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  const collection = node.store.get(name!);
  const body = (x.body ?? {}) as Record<string, unknown>;
  if (body['filter'] !== undefined && body['filter'] !== null)
    throw new DoubleError(400, 'Wrong input: the double does not implement filters');
  if (body['order_by'] !== undefined && body['order_by'] !== null)
    throw new DoubleError(400, 'Wrong input: the double does not implement order_by');
  const limit = body['limit'] === undefined || body['limit'] === null ? 10 : Number(String(body['limit']));
  let from: PointId | undefined;
  if (body['offset'] !== undefined && body['offset'] !== null) {
    const parsed = parsePointId(body['offset']);
    if (typeof parsed === 'object') throw new DoubleError(400, `Format error in JSON body: ${parsed.error}`);
    from = parsed;
  }
  const withPayload = plainFlag(body['with_payload'], true);
  const withVector = plainFlag(body['with_vector'] ?? body['with_vectors'], false);
  const sorted = node.store
    .sortedPoints(collection)
    .filter((p) => from === undefined || comparePointIds(p.id, from) >= 0);
  const page = sorted.slice(0, limit);
  const next = sorted[limit];
  x.ok({
    points: page.map((p) => node.store.record(collection, p, withPayload, withVector)),
    next_page_offset: next ? next.id : null,
  });
}

function plainFlag(value: unknown, fallback: boolean | string[]): unknown {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean' || Array.isArray(value)) return value;
  throw new DoubleError(400, 'Wrong input: the double implements boolean and list selectors only');
}

function countPoints(node: QdrantDouble, x: DoubleExchange, [name]: string[]): void {
  const collection = node.store.get(name!);
  const body = (x.body ?? {}) as Record<string, unknown>;
  if (body['filter'] !== undefined && body['filter'] !== null)
    throw new DoubleError(400, 'Wrong input: the double does not implement filters');
  const result: Schemas['CountResult'] = { count: collection.points.size };
  x.ok(result);
}

function collectionDir(node: QdrantDouble, collection: string): string {
  return join(node.dataDir, 'collections', collection);
}

function fullDir(node: QdrantDouble): string {
  return join(node.dataDir, 'full');
}

/** Writes a snapshot like `snapshots_manager.rs store_file`: `.tmp`, sha256 sidecar, then rename into place. */
async function storeSnapshot(
  node: QdrantDouble,
  dir: string,
  name: string,
  bytes: Buffer,
): Promise<Schemas['SnapshotDescription']> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${name}.tmp`);
  await writeFile(tmp, bytes);
  const checksum = createHash('sha256')
    .update(node.faults.wrongChecksum ? Buffer.concat([bytes, Buffer.from('x')]) : bytes)
    .digest('hex');
  await writeFile(join(dir, `${name}.checksum`), checksum);
  await rename(tmp, join(dir, name));
  return describeSnapshot(dir, name);
}

async function describeSnapshot(dir: string, name: string): Promise<Schemas['SnapshotDescription']> {
  const info = await stat(join(dir, name));
  const checksum = await readFile(join(dir, `${name}.checksum`), 'utf8').catch(() => null);
  return { name, creation_time: info.mtime.toISOString().slice(0, 19), size: info.size, checksum };
}

function checkSnapshotName(name: string): void {
  if (name.includes('/') || name.includes('\\') || name.startsWith('.') || !name.endsWith('.snapshot')) {
    throw new DoubleError(404, `Not found: Snapshot ${name} not found`);
  }
}

async function listSnapshots(
  node: QdrantDouble,
  x: DoubleExchange,
  dir: string,
  collection?: string,
): Promise<void> {
  if (collection !== undefined) node.store.get(collection);
  const names = await readdir(dir).catch(() => [] as string[]);
  const result: Schemas['SnapshotDescription'][] = [];
  for (const name of names.filter((n) => n.endsWith('.snapshot')).sort())
    result.push(await describeSnapshot(dir, name));
  x.ok(result);
}

async function createSnapshot(node: QdrantDouble, x: DoubleExchange, [name]: string[]): Promise<void> {
  const collection = node.store.get(name!);
  await waitOrAccept(
    x,
    async () => {
      const file = `${collection.name}-${node.peer.peerId}-${snapshotTime()}.snapshot`;
      return storeSnapshot(
        node,
        collectionDir(node, collection.name),
        file,
        await buildCollectionSnapshot(node.store, collection, node.peer),
      );
    },
    (description) => x.ok(description),
  );
}

async function createFullSnapshot(node: QdrantDouble, x: DoubleExchange): Promise<void> {
  await waitOrAccept(
    x,
    async () =>
      storeSnapshot(
        node,
        fullDir(node),
        `full-snapshot-${snapshotTime()}.snapshot`,
        await buildFullSnapshot(node.store, node.peer),
      ),
    (description) => x.ok(description),
  );
}

async function downloadSnapshot(
  node: QdrantDouble,
  x: DoubleExchange,
  dir: string,
  name: string,
  collection?: string,
): Promise<void> {
  if (collection !== undefined) node.store.get(collection);
  checkSnapshotName(name);
  const path = join(dir, name);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new DoubleError(404, `Not found: Snapshot ${name} not found`);
  x.startBinary(200, {
    'content-type': 'application/octet-stream',
    'content-length': info.size,
    'content-disposition': `attachment; filename="${name}"`,
  });
  const { faults } = node;
  if (faults.cutDownload || faults.stallDownload) {
    const half = Math.floor(info.size / 2);
    await pipeline(createReadStream(path, { end: half - 1 }), x.res, { end: false });
    if (faults.cutDownload) x.res.socket?.destroy();
    return;
  }
  await pipeline(createReadStream(path), x.res);
}

async function deleteSnapshot(
  node: QdrantDouble,
  x: DoubleExchange,
  dir: string,
  name: string,
  collection?: string,
): Promise<void> {
  if (collection !== undefined) node.store.get(collection);
  checkSnapshotName(name);
  const path = join(dir, name);
  if (!(await stat(path).catch(() => undefined)))
    throw new DoubleError(404, `Not found: Snapshot ${name} not found`);
  await waitOrAccept(
    x,
    async () => {
      await rm(path);
      await rm(`${path}.checksum`, { force: true });
      return true;
    },
    (result) => x.ok(result),
  );
}

function checkRecoverParams(checksum: unknown, priority: unknown): void {
  if (
    checksum !== undefined &&
    checksum !== null &&
    !(typeof checksum === 'string' && /^[0-9a-fA-F]{64}$/.test(checksum.trim()))
  ) {
    throw new DoubleError(422, 'Validation error in query parameters: [checksum: invalid SHA256 hash]');
  }
  if (
    priority !== undefined &&
    priority !== null &&
    !['no_sync', 'snapshot', 'replica'].includes(String(priority))
  ) {
    throw new DoubleError(
      400,
      `Query deserialize error: unknown variant \`${String(priority)}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``,
    );
  }
}

/** Hashes and saves an incoming snapshot to a temp file; returns path and sha256. */
async function receive(
  node: QdrantDouble,
  source: AsyncIterable<Uint8Array>,
): Promise<{ path: string; sha256: string; bytes: number }> {
  const dir = join(node.dataDir, 'upload');
  await mkdir(dir, { recursive: true });
  const path = join(dir, randomUUID());
  const hash = createHash('sha256');
  let bytes = 0;
  async function* tap() {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  }
  await pipeline(tap, createWriteStream(path));
  return { path, sha256: hash.digest('hex'), bytes };
}

async function recoverFromFile(
  node: QdrantDouble,
  collection: string,
  file: { path: string; sha256: string },
  checksum: unknown,
  origin: 'upload' | 'url',
): Promise<boolean> {
  try {
    if (typeof checksum === 'string' && checksum.trim().toLowerCase() !== file.sha256) {
      throw new DoubleError(
        400,
        origin === 'upload'
          ? // snapshot_api.rs: StorageError::checksum_mismatch(snapshot_checksum, checksum)
            `Checksum mismatch: expected ${file.sha256}, actual ${checksum}`
          : // recover.rs: StorageError::bad_input(...)
            `Wrong input: Snapshot checksum mismatch: expected ${checksum}, got ${file.sha256}`,
      );
    }
    const snapshot = await readCollectionSnapshot(createReadStream(file.path));
    applySnapshot(node.store, collection, node.peer, snapshot);
    return true;
  } finally {
    await rm(file.path, { force: true });
  }
}

async function uploadSnapshot(node: QdrantDouble, x: DoubleExchange, [name]: string[]): Promise<void> {
  checkRecoverParams(x.query['checksum'], x.query['priority']);
  const wait = waitParam(x);
  const busboy = Busboy({ headers: x.req.headers });
  let received: Promise<{ path: string; sha256: string; bytes: number }> | undefined;
  busboy.on('error', () => {});
  busboy.on('file', (field, stream) => {
    stream.on('error', () => {});
    if (field === 'snapshot' && !received) {
      received = receive(node, stream);
      received.catch(() => {});
    } else stream.resume();
  });
  await pipeline(x.req, busboy);
  if (!received) throw new DoubleError(400, 'Wrong input: multipart field `snapshot` is required');
  const file = await received;
  const work = () => recoverFromFile(node, name!, file, x.query['checksum'], 'upload');
  if (wait) return x.ok(await work());
  x.accepted();
  work().catch(() => {});
}

async function recoverSnapshot(node: QdrantDouble, x: DoubleExchange, [name]: string[]): Promise<void> {
  const body = x.body as
    | { location?: unknown; priority?: unknown; checksum?: unknown; api_key?: unknown }
    | undefined;
  if (!body || typeof body.location !== 'string')
    throw new DoubleError(422, 'Validation error in JSON body: [location: required]');
  checkRecoverParams(body.checksum, body.priority);
  const location = new URL(body.location);
  await waitOrAccept(
    x,
    async () => {
      let file: { path: string; sha256: string; bytes: number };
      if (location.protocol === 'file:') {
        file = await receive(node, createReadStream(fileURLToPath(location)));
      } else {
        const response = await fetch(location, {
          headers: typeof body.api_key === 'string' ? { 'api-key': body.api_key } : {},
        }).catch((error: Error) => {
          throw new DoubleError(500, `Service internal error: Http request error: ${error.message}`);
        });
        if (!response.ok || !response.body) {
          throw new DoubleError(
            400,
            `Wrong input: failed to download snapshot from ${location.origin}: HTTP ${response.status}`,
          );
        }
        file = await receive(node, response.body as AsyncIterable<Uint8Array>);
      }
      return recoverFromFile(node, name!, file, body.checksum, 'url');
    },
    (result) => x.ok(result),
  );
}

/** Test helper: every file in a node's snapshot directories (snapshots, sidecars, temp files). */
export async function snapshotFiles(node: QdrantDouble): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else out.push(`${prefix}${entry.name}`);
    }
  };
  await walk(join(node.dataDir, 'collections'), 'collections/');
  await walk(fullDir(node), 'full/');
  return out.sort();
}
