import { codecError } from './codecError.js';
import type { EncodedJson } from './graphValue.js';
import { isRawJson, rawJson } from './rawJson.js';

const SPECIAL: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
};

/**
 * Encodes a Cypher FLOAT (IEEE 754 double) exactly: a JSON number in JavaScript's shortest
 * round-trip form, `-0.0` (a {@link RawJson} fragment; `JSON.stringify(-0)` would write `0`), or
 * the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (what Jackson, APOC's JSON writer, emits by
 * default for non-finite doubles: `JsonWriteFeature.WRITE_NAN_AS_STRINGS`).
 */
export function encodeFloat(value: number): EncodedJson {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return rawJson('-0.0');
  return value;
}

/**
 * Decodes an encoded FLOAT: a JSON number (or the `bigint` {@link parseExactJson} yields for an
 * integral literal beyond 2^53, e.g. `1e20` written as `100000000000000000000`), a
 * {@link RawJson} fragment, or one of `"NaN"`, `"Infinity"`, `"-Infinity"`.
 *
 * @throws BackupError `VERIFY_FAILED` for anything else.
 */
export function decodeFloat(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (isRawJson(value)) return Number(value.rawJSON);
  if (typeof value === 'string' && value in SPECIAL) return SPECIAL[value]!;
  throw codecError(
    `${where}: FLOAT must be a JSON number or "NaN"/"Infinity"/"-Infinity", got ${String(value)}`,
  );
}
