import { randomUUID } from 'node:crypto';
import type { Schemas } from '@qdrant/js-client-rest';
import { isLosslessNumber, LosslessNumber } from 'lossless-json';
import { formatF32, normalizePayloadNumber, toF32 } from './f32.js';
import { comparePointIds, type PointId, parsePointId, pointIdKey } from './pointId.js';

/** One stored vector of a point. */
export type StoredVector =
  | { kind: 'dense'; values: number[] }
  | { kind: 'multi'; values: number[][] }
  | { kind: 'sparse'; indices: number[]; values: number[] };

/** One stored point: payload with lossless numbers, vectors by name (`''` = the unnamed vector). */
export interface StoredPoint {
  id: PointId;
  payload: Record<string, unknown>;
  vectors: Map<string, StoredVector>;
}

/** A payload index (`PayloadIndexInfo` without the count). */
export interface StoredIndex {
  data_type: Schemas['PayloadSchemaType'];
  params?: Record<string, unknown> | undefined;
}

/** A collection as the double holds it. */
export interface StoredCollection {
  name: string;
  uuid: string;
  config: Schemas['CollectionConfig'];
  payloadSchema: Map<string, StoredIndex>;
  points: Map<string, StoredPoint>;
}

/** A Qdrant-style failure: HTTP status and the `status.error` text. */
export class DoubleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A peer of the (possibly single-node) deployment. */
export interface DoublePeer {
  peerId: bigint;
  /** p2p URI as `GET /cluster` reports it. */
  uri: string;
}

/**
 * The state of a Qdrant deployment shared by its nodes: collections (config, payload indexes,
 * points), aliases, and the peers. Points are placed in shards by a hash of their id, shard `s`
 * lives on peer `s % peers` (replication factor 1), which is what a collection snapshot of one
 * node contains. Behaviour follows Qdrant 1.19 where the package relies on it; error texts follow
 * `lib/storage/src/content_manager/errors.rs` ("Not found: ...", "Wrong input: ...").
 */
export class DoubleStore {
  readonly version = '1.19.0';
  readonly commit = 'double-74f3e85b';
  readonly collections = new Map<string, StoredCollection>();
  readonly aliases = new Map<string, string>();

  constructor(readonly peers: DoublePeer[]) {}

  /** `true` in distributed mode (more than one peer). */
  get distributed(): boolean {
    return this.peers.length > 1;
  }

  get(name: string): StoredCollection {
    const collection = this.collections.get(name) ?? this.collections.get(this.aliases.get(name) ?? '');
    if (!collection) throw new DoubleError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return collection;
  }

  /** `create_collection`: applies Qdrant's defaults to a `CreateCollection` body. */
  create(name: string, body: Record<string, unknown>): StoredCollection {
    if (this.collections.has(name))
      throw new DoubleError(409, `Wrong input: Collection \`${name}\` already exists!`);
    if (!/^[^/\\:*?"<>|\s][^/\\:*?"<>|]{0,254}$/.test(name)) {
      throw new DoubleError(
        422,
        `Validation error in path parameters: [name: collection name contains forbidden characters]`,
      );
    }
    const num = (value: unknown, fallback: number) =>
      value === undefined || value === null ? fallback : Number(String(value));
    const vectors = plain(body['vectors'] ?? {}) as Schemas['VectorsConfig'];
    checkVectorsConfig(vectors);
    const params: Schemas['CollectionParams'] = {
      vectors,
      shard_number: num(body['shard_number'], this.peers.length),
      replication_factor: num(body['replication_factor'], 1),
      write_consistency_factor: num(body['write_consistency_factor'], 1),
      on_disk_payload: body['on_disk_payload'] === undefined ? true : Boolean(body['on_disk_payload']),
    };
    if (body['sharding_method'] !== undefined && body['sharding_method'] !== null) {
      params.sharding_method = body['sharding_method'] as Schemas['ShardingMethod'];
    }
    if (body['sparse_vectors'] !== undefined && body['sparse_vectors'] !== null) {
      params.sparse_vectors = plain(body['sparse_vectors']) as Record<string, Schemas['SparseVectorParams']>;
    }
    const diff = (key: string) => (plain(body[key] ?? {}) ?? {}) as Record<string, unknown>;
    const config: Schemas['CollectionConfig'] = {
      params,
      hnsw_config: {
        m: 16,
        ef_construct: 100,
        full_scan_threshold: 10000,
        max_indexing_threads: 0,
        on_disk: false,
        ...diff('hnsw_config'),
      } as Schemas['HnswConfig'],
      optimizer_config: {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 0,
        max_segment_size: null,
        memmap_threshold: null,
        indexing_threshold: 10000,
        flush_interval_sec: 5,
        max_optimization_threads: null,
        ...diff('optimizers_config'),
      } as Schemas['OptimizersConfig'],
      wal_config: {
        wal_capacity_mb: 32,
        wal_segments_ahead: 0,
        wal_retain_closed: 1,
        ...diff('wal_config'),
      } as Schemas['WalConfig'],
      quantization_config:
        (plain(body['quantization_config'] ?? null) as Schemas['QuantizationConfig'] | null) ?? null,
      strict_mode_config: { enabled: false, ...diff('strict_mode_config') },
    };
    if (body['metadata'] !== undefined && body['metadata'] !== null) {
      config.metadata = normalizePayload(body['metadata']) as Schemas['Payload'];
    }
    const collection: StoredCollection = {
      name,
      uuid: randomUUID(),
      config,
      payloadSchema: new Map(),
      points: new Map(),
    };
    this.collections.set(name, collection);
    return collection;
  }

  /** `delete_collection`: `true` when it existed. Aliases to it are dropped. */
  delete(name: string): boolean {
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    return this.collections.delete(name);
  }

  /** `upsert_points` with a `PointsList` body (lossless values). Validates like Qdrant. */
  upsert(collection: StoredCollection, points: unknown[]): void {
    const parsed = points.map((raw) => this.parsePoint(collection, raw));
    for (const point of parsed) collection.points.set(pointIdKey(point.id), point);
  }

  /** Shard of a point: FNV-1a of its id key modulo `shard_number`. */
  shardOf(collection: StoredCollection, id: PointId): number {
    let hash = 0x811c9dc5;
    for (const ch of pointIdKey(id)) {
      hash ^= ch.charCodeAt(0);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash % shardCount(collection);
  }

  /** Peer holding shard `shard`. */
  ownerOf(shard: number): DoublePeer {
    return this.peers[shard % this.peers.length]!;
  }

  /** Points sorted in Qdrant's id order, optionally only those of `shards`. */
  sortedPoints(collection: StoredCollection, shards?: Set<number>): StoredPoint[] {
    const all = [...collection.points.values()].filter(
      (p) => !shards || shards.has(this.shardOf(collection, p.id)),
    );
    return all.sort((a, b) => comparePointIds(a.id, b.id));
  }

  /** `Record` output of a point with the requested parts (lossless values). */
  record(
    collection: StoredCollection,
    point: StoredPoint,
    withPayload: unknown,
    withVector: unknown,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { id: point.id };
    if (withPayload !== false) {
      out['payload'] = Array.isArray(withPayload)
        ? Object.fromEntries(
            Object.entries(point.payload).filter(([k]) => (withPayload as unknown[]).includes(k)),
          )
        : point.payload;
    }
    if (withVector !== false && withVector !== undefined && withVector !== null) {
      const names = Array.isArray(withVector) ? new Set(withVector.map(String)) : undefined;
      out['vector'] = vectorOutput(collection, point, names);
    }
    return out;
  }

  /** Payload index counts: points whose payload has the field. */
  payloadSchema(collection: StoredCollection): Record<string, Schemas['PayloadIndexInfo']> {
    const out: Record<string, Schemas['PayloadIndexInfo']> = {};
    for (const [field, index] of collection.payloadSchema) {
      let points = 0;
      for (const p of collection.points.values()) if (field in p.payload) points++;
      out[field] = {
        data_type: index.data_type,
        ...(index.params ? { params: index.params as Schemas['PayloadSchemaParams'] } : {}),
        points,
      };
    }
    return out;
  }

  /** `CollectionInfo` of `get_collection`. */
  info(collection: StoredCollection): Schemas['CollectionInfo'] {
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: collection.points.size,
      segments_count: shardCount(collection),
      config: collection.config,
      payload_schema: this.payloadSchema(collection),
    };
  }

  private parsePoint(collection: StoredCollection, raw: unknown): StoredPoint {
    if (raw === null || typeof raw !== 'object')
      throw new DoubleError(400, 'Wrong input: point must be an object');
    const point = raw as Record<string, unknown>;
    const id = parsePointId(point['id']);
    if (typeof id === 'object') throw new DoubleError(400, `Format error in JSON body: ${id.error}`);
    const payload =
      point['payload'] === undefined || point['payload'] === null ? {} : normalizePayload(point['payload']);
    if (typeof payload !== 'object' || Array.isArray(payload) || payload === null) {
      throw new DoubleError(400, 'Format error in JSON body: payload must be an object');
    }
    const vectors = new Map<string, StoredVector>();
    const given = point['vector'];
    const config = collection.config.params;
    const dense = (config.vectors ?? {}) as Record<string, unknown>;
    const unnamed = isVectorParams(dense);
    const entries: [string, unknown][] = Array.isArray(given)
      ? [['', given]]
      : given && typeof given === 'object'
        ? Object.entries(given)
        : [];
    for (const [name, value] of entries) {
      const sparse = config.sparse_vectors?.[name];
      if (sparse !== undefined) {
        vectors.set(name, parseSparse(name, value));
        continue;
      }
      const params = (unnamed ? (name === '' ? dense : undefined) : dense[name]) as
        | Schemas['VectorParams']
        | undefined;
      if (!params) throw new DoubleError(400, `Wrong input: Not existing vector name error: ${name}`);
      vectors.set(name, parseDense(name, value, params));
    }
    return { id, payload: payload as Record<string, unknown>, vectors };
  }
}

/** Number of shards of a collection (`params.shard_number`, default 1). */
export function shardCount(collection: StoredCollection): number {
  return Number(collection.config.params.shard_number ?? 1);
}

/** `true` when a `VectorsConfig` is a single unnamed `VectorParams`. */
export function isVectorParams(vectors: unknown): boolean {
  return vectors !== null && typeof vectors === 'object' && 'size' in vectors && 'distance' in vectors;
}

function checkVectorsConfig(vectors: unknown): void {
  const all = isVectorParams(vectors) ? [vectors] : Object.values(vectors as Record<string, unknown>);
  for (const params of all as Schemas['VectorParams'][]) {
    if (!params || typeof params.size !== 'number' || params.size < 1) {
      throw new DoubleError(422, 'Validation error in JSON body: [vectors.size: value must be >= 1]');
    }
  }
}

function parseDense(name: string, value: unknown, params: Schemas['VectorParams']): StoredVector {
  const size = Number(params.size);
  const label = name === '' ? '' : ` ${name}`;
  const row = (list: unknown): number[] => {
    if (!Array.isArray(list))
      throw new DoubleError(400, `Wrong input: vector${label} must be a list of numbers`);
    if (list.length !== size) {
      throw new DoubleError(
        400,
        `Wrong input: Vector dimension error: expected dim: ${size}, got ${list.length}`,
      );
    }
    const out = list.map(toF32);
    return params.distance === 'Cosine' ? normalize(out) : out;
  };
  if (params.multivector_config) {
    if (!Array.isArray(value) || value.length === 0 || !value.every(Array.isArray)) {
      throw new DoubleError(400, `Wrong input: multivector${label} must be a non-empty list of vectors`);
    }
    return { kind: 'multi', values: value.map(row) };
  }
  return { kind: 'dense', values: row(value) };
}

function parseSparse(name: string, value: unknown): StoredVector {
  const v = value as { indices?: unknown; values?: unknown };
  if (!v || !Array.isArray(v.indices) || !Array.isArray(v.values)) {
    throw new DoubleError(400, `Wrong input: sparse vector ${name} must be {indices, values}`);
  }
  if (v.indices.length !== v.values.length) {
    throw new DoubleError(
      422,
      `Validation error in JSON body: [${name}: indices and values must be the same length]`,
    );
  }
  const indices = v.indices.map((i) => Number(String(i)));
  if (new Set(indices).size !== indices.length) {
    throw new DoubleError(422, `Validation error in JSON body: [${name}: indices must be unique]`);
  }
  return { kind: 'sparse', indices, values: v.values.map(toF32) };
}

/** Cosine vectors are stored normalized (Qdrant `CosineMetric::preprocess`). */
function normalize(values: number[]): number[] {
  let sum = 0;
  for (const v of values) sum += v * v;
  const length = Math.sqrt(sum);
  if (length < 1.1920929e-7) return values;
  return values.map((v) => Math.fround(v / length));
}

function vectorOutput(collection: StoredCollection, point: StoredPoint, names?: Set<string>): unknown {
  const render = (vector: StoredVector): unknown =>
    vector.kind === 'dense'
      ? vector.values.map(formatF32)
      : vector.kind === 'multi'
        ? vector.values.map((row) => row.map(formatF32))
        : { indices: vector.indices, values: vector.values.map(formatF32) };
  const config = collection.config.params;
  const onlyUnnamed = isVectorParams(config.vectors) && Object.keys(config.sparse_vectors ?? {}).length === 0;
  if (onlyUnnamed && !names) {
    const vector = point.vectors.get('');
    return vector ? render(vector) : {};
  }
  const out: Record<string, unknown> = {};
  for (const [name, vector] of point.vectors) if (!names || names.has(name)) out[name] = render(vector);
  return out;
}

/** Payload values with numbers normalized like serde_json `Value` (see `normalizePayloadNumber`). */
export function normalizePayload(value: unknown): unknown {
  if (isLosslessNumber(value)) return normalizePayloadNumber(value.toString());
  if (typeof value === 'number') return normalizePayloadNumber(String(value));
  if (Array.isArray(value)) return value.map(normalizePayload);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizePayload(v)]));
  }
  return value;
}

/** Lossless JSON value -> plain JS (numbers) for configs. */
export function plain(value: unknown): unknown {
  if (isLosslessNumber(value)) return Number(value.toString());
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !(value instanceof LosslessNumber)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
