import { vector } from 'neo4j-driver';
import { codecError } from './codecError.js';
import { parseDuration } from './durationText.js';
import { decodeFloat } from './floatJson.js';
import type { EncodedGraphValue, EncodedJson, GraphValue } from './graphValue.js';
import { decodeInteger } from './integerJson.js';
import { decodePoint } from './pointJson.js';
import { parseDate, parseDateTime, parseLocalDateTime, parseLocalTime, parseTime } from './temporalText.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const VECTOR_ARRAYS = { INT8: 1, INT16: 2, INT32: 4, FLOAT32: 4, FLOAT64: 8 } as const;

/**
 * Decodes a value of the typed JSON encoding (docs/format.md, {@link encodeGraphValue}) back into
 * neo4j-driver's classes, as a driver with its default configuration returns them: `Integer` for
 * INTEGER and for every temporal field and SRID, `number` for FLOAT, `Int8Array` for BYTES,
 * `Date`/`LocalTime`/`Time`/`LocalDateTime`/`DateTime`/`Duration`/`Point`/`Vector`, arrays for
 * lists. Accepts the value as parsed by {@link parseExactJson} (integers beyond 2^53 as `bigint`)
 * or straight from {@link encodeGraphValue} (`RawJson` fragments).
 *
 * @param encoded `{ type, value }`; `where` names the value in error messages (default `value`).
 * @throws BackupError `VERIFY_FAILED` for an unknown type or a value that does not match its type.
 */
export function decodeGraphValue(encoded: EncodedGraphValue, where = 'value'): GraphValue {
  const { type, value } = encoded;
  switch (type) {
    case 'NULL':
      if (value !== null) throw codecError(`${where}: NULL must be null`);
      return null;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') throw codecError(`${where}: BOOLEAN must be true or false`);
      return value;
    case 'STRING':
      if (typeof value !== 'string') throw codecError(`${where}: STRING must be a JSON string`);
      return value;
    case 'INTEGER':
      return decodeInteger(value, where);
    case 'FLOAT':
      return decodeFloat(value, where);
    case 'BYTES':
      if (typeof value !== 'string' || !BASE64.test(value)) {
        throw codecError(`${where}: BYTES must be a padded base64 string`);
      }
      return new Int8Array(Buffer.from(value, 'base64'));
    case 'DATE':
      return parseDate(value, where);
    case 'LOCAL TIME':
      return parseLocalTime(value, where);
    case 'ZONED TIME':
      return parseTime(value, where);
    case 'LOCAL DATETIME':
      return parseLocalDateTime(value, where);
    case 'ZONED DATETIME':
      return parseDateTime(value, where);
    case 'DURATION':
      return parseDuration(value, where);
    case 'POINT':
      return decodePoint(value, where);
    case 'LIST<NOTHING>':
      if (!Array.isArray(value) || value.length > 0) throw codecError(`${where}: LIST<NOTHING> must be []`);
      return [];
  }
  if (typeof type !== 'string') throw codecError(`${where}: the type must be a string`);
  if (type === 'LIST<ANY>') {
    return list(value, where).map((e, i) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e) || !('type' in e)) {
        throw codecError(`${where}[${i}]: a LIST<ANY> element must be {"type", "value"}`);
      }
      return decodeGraphValue(e as EncodedGraphValue, `${where}[${i}]`);
    });
  }
  if (type.startsWith('LIST<') && type.endsWith('>')) {
    const inner = type.slice(5, -1);
    return list(value, where).map((e, i) =>
      decodeGraphValue({ type: inner, value: e as EncodedJson }, `${where}[${i}]`),
    );
  }
  const vectorType = /^VECTOR<(INT8|INT16|INT32|INT64|FLOAT32|FLOAT64)>$/.exec(type)?.[1];
  if (vectorType !== undefined) {
    const elements = list(value, where);
    if (vectorType === 'INT64') {
      return vector(
        BigInt64Array.from(elements, (e, i) => BigInt(decodeInteger(e, `${where}[${i}]`).toString())),
      );
    }
    const float = vectorType.startsWith('FLOAT');
    const numbers = elements.map((e, i) =>
      float ? decodeFloat(e, `${where}[${i}]`) : decodeInteger(e, `${where}[${i}]`).toNumber(),
    );
    return vector(typedArray(vectorType as keyof typeof VECTOR_ARRAYS, numbers));
  }
  throw codecError(`${where}: unknown type ${JSON.stringify(type)}`);
}

function typedArray(
  type: keyof typeof VECTOR_ARRAYS,
  values: number[],
): Int8Array | Int16Array | Int32Array | Float32Array | Float64Array {
  switch (type) {
    case 'INT8':
      return Int8Array.from(values);
    case 'INT16':
      return Int16Array.from(values);
    case 'INT32':
      return Int32Array.from(values);
    case 'FLOAT32':
      return Float32Array.from(values);
    case 'FLOAT64':
      return Float64Array.from(values);
  }
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw codecError(`${where}: a LIST must be a JSON array`);
  return value;
}
