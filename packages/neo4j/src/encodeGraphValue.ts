import { BackupError } from '@backup/core';
import {
  isDate,
  isDateTime,
  isDuration,
  isLocalDateTime,
  isLocalTime,
  isPoint,
  isTime,
  isVector,
} from 'neo4j-driver';
import { formatDuration } from './durationText.js';
import { encodeFloat } from './floatJson.js';
import type { EncodedGraphValue, EncodedJson, GraphValue, NumberOrInteger } from './graphValue.js';
import { encodeInteger, isIntegerValue } from './integerJson.js';
import { encodePoint } from './pointJson.js';

/**
 * Encodes a driver value into the typed JSON encoding of docs/format.md: `{ type, value }` where
 * `value` is what `apoc.export.json.all` writes (JSON Lines, protocols.md 5.1) and `type` the
 * Cypher type that makes it exact. Round trip: `decodeGraphValue(encodeGraphValue(v))` equals `v`
 * (with `Integer` fields, the driver's default representation).
 *
 * | driver value | `type` | `value` |
 * |---|---|---|
 * | `Integer` / `bigint` | `INTEGER` | exact JSON number (`RawJson` beyond 2^53) |
 * | `number` | `FLOAT` | JSON number, `-0.0`, `"NaN"`, `"Infinity"`, `"-Infinity"` |
 * | `Int8Array` | `BYTES` | base64 (RFC 4648, padded), as Jackson writes `byte[]` |
 * | `Date`, `LocalTime`, `Time`, `LocalDateTime`, `DateTime` | `DATE`, `LOCAL TIME`, `ZONED TIME`, `LOCAL DATETIME`, `ZONED DATETIME` | the driver's ISO 8601 `toString()` |
 * | `Duration` | `DURATION` | ISO 8601, Neo4j's form (`P5M1DT12H`) |
 * | `Point` | `POINT` | `{crs, x, y, z}` or `{crs, latitude, longitude, height}` |
 * | `Vector` | `VECTOR<FLOAT32>`... | JSON array of its elements |
 * | array | `LIST<T>`, `LIST<NOTHING>`, `LIST<ANY>` | JSON array (`LIST<ANY>`: of `{type, value}`) |
 * | `string`, `boolean`, `null` | `STRING`, `BOOLEAN`, `NULL` | as is |
 *
 * @throws BackupError `SOURCE_FAILED` for values that are no property values: maps, nodes,
 *   relationships, paths, UUIDs, `undefined`, functions...
 */
export function encodeGraphValue(value: GraphValue): EncodedGraphValue {
  if (value === null) return { type: 'NULL', value: null };
  switch (typeof value) {
    case 'boolean':
      return { type: 'BOOLEAN', value };
    case 'string':
      return { type: 'STRING', value };
    case 'number':
      return { type: 'FLOAT', value: encodeFloat(value) };
    case 'bigint':
      return { type: 'INTEGER', value: encodeInteger(value) };
  }
  if (isIntegerValue(value)) return { type: 'INTEGER', value: encodeInteger(value) };
  if (value instanceof Int8Array) {
    return {
      type: 'BYTES',
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    };
  }
  if (Array.isArray(value)) return encodeList(value);
  if (isDuration(value)) {
    return {
      type: 'DURATION',
      value: formatDuration(value.months, value.days, value.seconds, value.nanoseconds),
    };
  }
  if (isDateTime(value)) return { type: 'ZONED DATETIME', value: value.toString() };
  if (isLocalDateTime(value)) return { type: 'LOCAL DATETIME', value: value.toString() };
  if (isDate(value)) return { type: 'DATE', value: value.toString() };
  if (isTime(value)) return { type: 'ZONED TIME', value: value.toString() };
  if (isLocalTime(value)) return { type: 'LOCAL TIME', value: value.toString() };
  if (isPoint<NumberOrInteger>(value)) return { type: 'POINT', value: encodePoint(value) };
  if (isVector(value)) {
    const elements = [...value.asTypedArray()] as (number | bigint)[];
    const type = value.getType();
    const float = type === 'FLOAT32' || type === 'FLOAT64';
    return {
      type: `VECTOR<${type}>`,
      value: elements.map((e) => (float ? encodeFloat(e as number) : encodeInteger(BigInt(e)))),
    };
  }
  throw new BackupError(
    'SOURCE_FAILED',
    `Cannot encode a ${describe(value)}: only Neo4j property values (and lists of them) can be exported`,
  );
}

function encodeList(values: GraphValue[]): EncodedGraphValue {
  if (values.length === 0) return { type: 'LIST<NOTHING>', value: [] };
  const encoded = values.map(encodeGraphValue);
  const first = encoded[0]!.type;
  if (encoded.every((e) => e.type === first)) {
    return { type: `LIST<${first}>`, value: encoded.map((e) => e.value) };
  }
  return { type: 'LIST<ANY>', value: encoded.map((e) => ({ type: e.type, value: e.value }) as EncodedJson) };
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined value';
  if (typeof value === 'object' && value !== null) return `${value.constructor?.name ?? 'Object'} value`;
  return `${typeof value} value`;
}
