import { isLosslessNumber } from 'lossless-json';

/** A Qdrant point id (`ExtendedPointId`): a uint64 (as bigint) or a UUID (lowercase, hyphenated). */
export type PointId = bigint | string;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const U64_MAX = 2n ** 64n - 1n;

/**
 * Parses an id from a lossless JSON value the way Qdrant does (`ExtendedPointId`): an unsigned
 * integer up to 2^64-1, or a UUID string in any accepted form, normalized to lowercase hyphenated
 * (Qdrant answers UUIDs hyphenated). Returns an error text for anything else.
 */
export function parsePointId(value: unknown): PointId | { error: string } {
  if (isLosslessNumber(value) || typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    if (!/^\d+$/.test(text))
      return { error: `Unable to parse point id ${text}: expected unsigned integer or UUID` };
    const big = BigInt(text);
    if (big > U64_MAX) return { error: `Point id ${text} does not fit into u64` };
    return big;
  }
  if (typeof value === 'string' && UUID.test(value)) {
    const hex = value.replace(/-/g, '').toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return { error: `Unable to parse point id ${JSON.stringify(value)}: expected unsigned integer or UUID` };
}

/** Map key of an id. */
export function pointIdKey(id: PointId): string {
  return typeof id === 'bigint' ? `n:${id}` : `u:${id}`;
}

/**
 * Qdrant's id order (`PointIdType` derives `Ord`: `NumId` before `Uuid`, numbers ascending, UUIDs
 * by their 128-bit value = their lowercase hex text). Scroll pages follow it.
 */
export function comparePointIds(a: PointId, b: PointId): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint') return -1;
  if (typeof b === 'bigint') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
