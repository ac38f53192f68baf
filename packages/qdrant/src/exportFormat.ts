/** `format` of the header record of a portable export (docs/format.md, "Qdrant"). */
export const QDRANT_EXPORT_FORMAT = 'qdrant-points-ndjson';

/** Current `formatVersion`; readers reject newer versions. */
export const QDRANT_EXPORT_FORMAT_VERSION = 1;

/**
 * First line of a `<collection>.ndjson` export: what is needed to recreate the collection on any
 * Qdrant version (protocols.md §1.4). Numbers are written exactly as Qdrant sent them.
 */
export interface QdrantExportHeader {
  type: 'header';
  format: typeof QDRANT_EXPORT_FORMAT;
  formatVersion: number;
  /** Source collection name. */
  collection: string;
  /** Version of the Qdrant server exported from, e.g. `1.19.0`. */
  qdrantVersion: string;
  /** ISO 8601 UTC time the export started. */
  createdAt: string;
  /** `GET /collections/{c}` `result.config` (spec `CollectionConfig`): params, hnsw, optimizers, wal... */
  config: Record<string, unknown>;
  /** `GET /collections/{c}` `result.payload_schema`: field -> `{data_type, params?, points}` (`PayloadIndexInfo`). */
  payloadSchema: Record<string, unknown>;
  /** Approximate points count when the export started (`CollectionInfo.points_count`). */
  pointsCount: unknown;
}

/**
 * One point line: Qdrant's `Record` from `scroll_points` with payload and every vector kind:
 * `vector` is a dense `number[]`, a multivector `number[][]`, or an object of named vectors whose
 * values are dense, multivector or sparse `{indices, values}`. `id` is a uint64 (written exactly,
 * even above 2^53) or a UUID string.
 */
export interface QdrantExportPoint {
  type: 'point';
  id: unknown;
  vector: unknown;
  payload: unknown;
}

/** Last line: the number of point lines written, to detect truncation. */
export interface QdrantExportFooter {
  type: 'footer';
  points: number;
}
