import { isLosslessNumber, isSafeNumber } from 'lossless-json';

/**
 * Converts a value read from Qdrant into plain JSON for `manifest.json`: bigints (js client, ids
 * above 2^53) and `LosslessNumber`s (lossless requests) become numbers when exactly representable,
 * else decimal strings; objects and arrays are converted recursively; `undefined` members are
 * dropped.
 */
export function toManifestValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (isLosslessNumber(value)) {
    const text = value.toString();
    return isSafeNumber(text) ? Number(text) : text;
  }
  if (Array.isArray(value)) return value.map(toManifestValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = toManifestValue(member);
    }
    return out;
  }
  return value;
}
