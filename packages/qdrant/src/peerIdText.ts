import { isLosslessNumber } from 'lossless-json';

/**
 * A Qdrant peer id (uint64, may exceed 2^53: the js client then returns a bigint) as its exact
 * decimal text, the form used in artifact names and manifests. `undefined` for anything else.
 */
export function peerIdText(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}
