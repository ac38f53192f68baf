import { randomUUID } from 'node:crypto';
import type { Schemas } from '@qdrant/js-client-rest';
import { parse, stringify } from 'lossless-json';
import { extract, pack } from 'tar-stream';
import {
  DoubleError,
  type DoublePeer,
  type DoubleStore,
  normalizePayload,
  plain,
  type StoredCollection,
  type StoredPoint,
  type StoredVector,
  shardCount,
} from './DoubleStore.js';
import { formatF32, toF32 } from './f32.js';
import { parsePointId, pointIdKey } from './pointId.js';

/**
 * Snapshot files with Qdrant's real layout (protocols.md §1.2): a plain tar holding `config.json`
 * (the collection config), `version.info`, `shard_key_mapping.json`, `payload_index.json` and one
 * directory per shard with `shard_config.json` and `replica_state.json`. A shard stored on the
 * snapshotting node also holds its data under `segments/`: Qdrant's segments are binary
 * (mmap/gridstore); the double writes `segments/<uuid>/points.ndjson` instead. Nothing in
 * `@backup/qdrant` reads below the top level, so this difference is invisible to it.
 */
export function snapshotTime(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', '-').replace(/:/g, '-');
}

/** Builds the collection snapshot of `collection` as node `peer` makes it. */
export async function buildCollectionSnapshot(
  store: DoubleStore,
  collection: StoredCollection,
  peer: DoublePeer,
): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  const file = (name: string, body: string) =>
    new Promise<void>((resolve, reject) =>
      tar.entry({ name, mode: 0o644, mtime: new Date() }, body, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  const dir = (name: string) =>
    new Promise<void>((resolve, reject) =>
      tar.entry({ name, type: 'directory', mode: 0o755, mtime: new Date() }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  const { config } = collection;
  await file(
    'config.json',
    stringify({
      params: config.params,
      hnsw_config: config.hnsw_config,
      optimizer_config: config.optimizer_config,
      wal_config: config.wal_config,
      quantization_config: config.quantization_config ?? null,
      strict_mode_config: config.strict_mode_config ?? null,
      uuid: collection.uuid,
      ...(config.metadata === undefined ? {} : { metadata: config.metadata }),
    }) ?? '{}',
  );
  await file('version.info', store.version);
  await file('shard_key_mapping.json', '{}');
  await file(
    'payload_index.json',
    stringify({
      schema: Object.fromEntries(
        [...collection.payloadSchema].map(([field, index]) => [field, index.params ?? index.data_type]),
      ),
    }) ?? '{}',
  );
  for (let shard = 0; shard < shardCount(collection); shard++) {
    const owner = store.ownerOf(shard);
    const local = owner.peerId === peer.peerId;
    await dir(`${shard}/`);
    await file(`${shard}/shard_config.json`, JSON.stringify({ type: 'ReplicaSet' }));
    await file(
      `${shard}/replica_state.json`,
      stringify({
        is_local: local,
        this_peer_id: peer.peerId,
        peers: { [String(owner.peerId)]: 'Active' },
      }) ?? '{}',
    );
    if (!local) continue;
    const segment = randomUUID();
    await dir(`${shard}/segments/`);
    const lines = store
      .sortedPoints(collection, new Set([shard]))
      .map((p) => `${stringify({ id: p.id, payload: p.payload, vectors: renderVectors(p.vectors) })}\n`)
      .join('');
    await file(`${shard}/segments/${segment}/points.ndjson`, lines);
  }
  tar.finalize();
  await reading;
  return Buffer.concat(chunks);
}

/** Builds a full storage snapshot: every collection snapshot plus `config.json` with mapping and aliases. */
export async function buildFullSnapshot(store: DoubleStore, peer: DoublePeer): Promise<Buffer> {
  const members: [string, Buffer][] = [];
  const mapping: Record<string, string> = {};
  for (const collection of store.collections.values()) {
    const name = `${collection.name}-${peer.peerId}-${snapshotTime()}.snapshot`;
    members.push([name, await buildCollectionSnapshot(store, collection, peer)]);
    mapping[collection.name] = name;
  }
  const tar = pack();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  const file = (name: string, body: Buffer | string) =>
    new Promise<void>((resolve, reject) =>
      tar.entry({ name, mode: 0o644, mtime: new Date() }, body, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  for (const [name, body] of members) await file(name, body);
  await file(
    'config.json',
    JSON.stringify({ collections_mapping: mapping, collections_aliases: Object.fromEntries(store.aliases) }),
  );
  tar.finalize();
  await reading;
  return Buffer.concat(chunks);
}

/** A collection snapshot read back: config, payload indexes and the points of each shard present. */
export interface ReadSnapshot {
  config: Schemas['CollectionConfig'];
  payloadIndex: Record<string, unknown>;
  shards: Map<number, StoredPoint[]>;
}

/**
 * Reads a collection snapshot (from an upload or a URL). Errors like Qdrant's unpack/load failures:
 * a file that is not a tar or has no `config.json` -> 400 "Wrong input: ...".
 */
export async function readCollectionSnapshot(source: AsyncIterable<Uint8Array>): Promise<ReadSnapshot> {
  const parser = extract();
  let config: Schemas['CollectionConfig'] | undefined;
  let payloadIndex: Record<string, unknown> = {};
  const shards = new Map<number, StoredPoint[]>();
  const entries = (async () => {
    for await (const entry of parser as AsyncIterable<AsyncIterable<Buffer> & { header: { name: string } }>) {
      const name = entry.header.name.replace(/^(\.\/)+/, '');
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      if (name === 'config.json') {
        const raw = parse(text) as Record<string, unknown>;
        const { metadata, uuid: _uuid, ...rest } = raw;
        config = plain(rest) as Schemas['CollectionConfig'];
        if (metadata !== undefined && metadata !== null)
          config.metadata = normalizePayload(metadata) as Schemas['Payload'];
      } else if (name === 'payload_index.json') {
        payloadIndex = ((plain(parse(text)) as { schema?: Record<string, unknown> }).schema ?? {}) as Record<
          string,
          unknown
        >;
      } else {
        const match = /^(\d+)\/segments\/[^/]+\/points\.ndjson$/.exec(name);
        if (match) {
          const shard = Number(match[1]);
          const points = shards.get(shard) ?? [];
          for (const line of text.split('\n')) if (line !== '') points.push(readPoint(line));
          shards.set(shard, points);
        }
      }
    }
  })();
  try {
    for await (const chunk of source) {
      if (!parser.write(chunk))
        await Promise.race([new Promise<void>((resolve) => parser.once('drain', () => resolve())), entries]);
    }
    parser.end(undefined);
    await entries;
  } catch (error) {
    parser.destroy(error as Error);
    entries.catch(() => {});
    throw new DoubleError(
      400,
      `Wrong input: the snapshot is not a readable tar archive: ${(error as Error).message}`,
    );
  }
  if (!config) throw new DoubleError(400, 'Wrong input: the snapshot has no config.json');
  return { config, payloadIndex, shards };
}

/**
 * Applies a read snapshot as node `peer` recovers it (`lib/storage/src/content_manager/snapshots/
 * recover.rs`): a missing collection is created from the snapshot's config and payload indexes; an
 * existing one must have the same vectors config and shard number (else 400 "Snapshot is not
 * compatible with existing collection"), keeps its config, indexes and aliases, and gets the shards
 * stored on `peer` replaced by the snapshot's (in a cluster the other shards come from the other
 * nodes' snapshots).
 */
export function applySnapshot(
  store: DoubleStore,
  name: string,
  peer: DoublePeer,
  snapshot: ReadSnapshot,
): void {
  let collection = store.collections.get(name);
  if (collection) {
    const current = collection.config.params;
    const incoming = snapshot.config.params;
    if (JSON.stringify(current.vectors) !== JSON.stringify(incoming.vectors)) {
      throw new DoubleError(
        400,
        `Wrong input: Snapshot is not compatible with existing collection: Collection vectors: ${JSON.stringify(current.vectors)} Snapshot Vectors: ${JSON.stringify(incoming.vectors)}`,
      );
    }
    if (Number(current.shard_number ?? 1) !== Number(incoming.shard_number ?? 1)) {
      throw new DoubleError(
        400,
        `Wrong input: Snapshot is not compatible with existing collection: Collection shard number: ${current.shard_number} Snapshot shard number: ${incoming.shard_number}`,
      );
    }
  } else {
    collection = {
      name,
      uuid: randomUUID(),
      config: snapshot.config,
      payloadSchema: new Map(),
      points: new Map(),
    };
    for (const [field, schema] of Object.entries(snapshot.payloadIndex)) {
      collection.payloadSchema.set(
        field,
        typeof schema === 'string'
          ? { data_type: schema as Schemas['PayloadSchemaType'] }
          : {
              data_type: (schema as { type: Schemas['PayloadSchemaType'] }).type,
              params: schema as Record<string, unknown>,
            },
      );
    }
    store.collections.set(name, collection);
  }
  for (let shard = 0; shard < shardCount(collection); shard++) {
    if (store.ownerOf(shard).peerId !== peer.peerId) continue;
    for (const [key, point] of collection.points) {
      if (store.shardOf(collection, point.id) === shard) collection.points.delete(key);
    }
    for (const point of snapshot.shards.get(shard) ?? []) collection.points.set(pointIdKey(point.id), point);
  }
}

function renderVectors(vectors: Map<string, StoredVector>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of vectors) {
    out[name] =
      v.kind === 'dense'
        ? { dense: v.values.map(formatF32) }
        : v.kind === 'multi'
          ? { multi: v.values.map((row) => row.map(formatF32)) }
          : { sparse: { indices: v.indices, values: v.values.map(formatF32) } };
  }
  return out;
}

function readPoint(line: string): StoredPoint {
  const raw = parse(line) as {
    id: unknown;
    payload: Record<string, unknown>;
    vectors: Record<string, Record<string, unknown>>;
  };
  const id = parsePointId(raw.id);
  if (typeof id === 'object') throw new Error(id.error);
  const vectors = new Map<string, StoredVector>();
  for (const [name, v] of Object.entries(raw.vectors)) {
    if ('dense' in v) vectors.set(name, { kind: 'dense', values: (v['dense'] as unknown[]).map(toF32) });
    else if ('multi' in v)
      vectors.set(name, { kind: 'multi', values: (v['multi'] as unknown[][]).map((r) => r.map(toF32)) });
    else {
      const s = v['sparse'] as { indices: unknown[]; values: unknown[] };
      vectors.set(name, {
        kind: 'sparse',
        indices: s.indices.map((i) => Number(String(i))),
        values: s.values.map(toF32),
      });
    }
  }
  return { id, payload: normalizePayload(raw.payload) as Record<string, unknown>, vectors };
}
