import type {
  Date as CypherDate,
  DateTime,
  Duration,
  Integer,
  LocalDateTime,
  LocalTime,
  Point,
  Time,
  Vector,
} from 'neo4j-driver';
import type { RawJson } from './rawJson.js';

/** A numeric field of a driver value: `Integer` by default, `number` or `bigint` per driver config. */
export type NumberOrInteger = number | Integer | bigint;

/**
 * A Neo4j property value (or a list of them) as neo4j-driver 6 represents it with its default
 * configuration: `Integer` for INTEGER (or `bigint` with `useBigInt`), `number` for FLOAT,
 * `Int8Array` for byte arrays, the driver's temporal, spatial and vector classes, arrays for
 * lists. `null` is not storable but is accepted by the codec (lists of query results).
 */
export type GraphValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | Integer
  | Int8Array
  | CypherDate<NumberOrInteger>
  | LocalTime<NumberOrInteger>
  | Time<NumberOrInteger>
  | LocalDateTime<NumberOrInteger>
  | DateTime<NumberOrInteger>
  | Duration<NumberOrInteger>
  | Point<NumberOrInteger>
  | Vector<Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array>
  | GraphValue[];

/**
 * A JSON-safe value: what `JSON.stringify` writes without loss. {@link RawJson} fragments carry
 * numbers a `number` cannot (int64 beyond 2^53, `-0.0`).
 */
export type EncodedJson =
  | null
  | boolean
  | number
  | string
  | RawJson
  | EncodedJson[]
  | { [key: string]: EncodedJson };

/**
 * A graph value in the typed JSON encoding of docs/format.md ("Neo4j graph" section):
 *
 * - `type`: the type descriptor, a Cypher type name: `NULL`, `BOOLEAN`, `STRING`, `INTEGER`,
 *   `FLOAT`, `BYTES`, `DATE`, `LOCAL TIME`, `ZONED TIME`, `LOCAL DATETIME`, `ZONED DATETIME`,
 *   `DURATION`, `POINT`, `VECTOR<INT8|INT16|INT32|INT64|FLOAT32|FLOAT64>`, `LIST<T>` (every
 *   element has type `T`), `LIST<NOTHING>` (empty list) or `LIST<ANY>` (mixed: each element is
 *   itself an `EncodedGraphValue`).
 * - `value`: the JSON value `apoc.export.json.all` writes for it (protocols.md 5.1): numbers,
 *   ISO 8601 strings for temporal values, `{crs, x, y, z}` / `{crs, latitude, longitude, height}`
 *   for points, base64 for byte arrays; plus exact int64 (`RawJson`), `-0.0` and the strings
 *   `"NaN"`, `"Infinity"`, `"-Infinity"` for floats.
 */
export interface EncodedGraphValue {
  /** Type descriptor, e.g. `INTEGER`, `ZONED DATETIME`, `LIST<POINT>`. */
  type: string;
  /** The APOC-shaped JSON value. */
  value: EncodedJson;
}
