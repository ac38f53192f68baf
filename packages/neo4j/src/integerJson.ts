import { type Integer, int, isInt } from 'neo4j-driver';
import { codecError } from './codecError.js';
import type { EncodedJson } from './graphValue.js';
import { isRawJson, rawJson } from './rawJson.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^-?\d+$/;

/**
 * Encodes a Cypher INTEGER (int64) as a JSON number with its exact digits: a plain `number`
 * inside ±(2^53 - 1), else a {@link RawJson} fragment such as `9223372036854775807` (the bare
 * number `apoc.export.json.all` writes; protocols.md 5.1: "int64 values are bare JSON numbers").
 *
 * @param value A driver `Integer` or a `bigint` (drivers configured with `useBigInt`).
 * @throws BackupError `VERIFY_FAILED` for a `bigint` outside the int64 range.
 */
export function encodeInteger(value: Integer | bigint): EncodedJson {
  const big = typeof value === 'bigint' ? value : BigInt(value.toString());
  checkRange(big, String(big));
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : rawJson(big.toString());
}

/**
 * Decodes an encoded INTEGER into a driver `Integer`. Accepts a safe-integer `number`, a
 * `bigint` (what {@link parseExactJson} yields for integer literals beyond 2^53), a decimal
 * string or a {@link RawJson} fragment.
 *
 * @throws BackupError `VERIFY_FAILED` for anything else or a value outside int64.
 */
export function decodeInteger(value: unknown, where: string): Integer {
  let big: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string' && DECIMAL.test(value)) big = BigInt(value);
  else if (isRawJson(value) && DECIMAL.test(value.rawJSON)) big = BigInt(value.rawJSON);
  else throw codecError(`${where}: INTEGER must be an integral JSON number, got ${describe(value)}`);
  checkRange(big, where);
  return int(big.toString());
}

/** True for a driver `Integer` or a `bigint`: the two forms of a Cypher INTEGER. */
export function isIntegerValue(value: unknown): value is Integer | bigint {
  return typeof value === 'bigint' || isInt(value);
}

function checkRange(value: bigint, where: string): void {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw codecError(`${where}: ${value} is outside the int64 range of a Cypher INTEGER`);
  }
}

function describe(value: unknown): string {
  if (isRawJson(value)) return value.rawJSON;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
