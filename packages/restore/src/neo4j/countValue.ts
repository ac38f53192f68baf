/**
 * A count from a Neo4j record as a number: neo4j-driver's lossless `Integer` (`toNumber()`), a
 * `bigint` (`useBigInt`) or a number. Anything else counts as 0.
 */
export function countValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toNumber?: unknown }).toNumber === 'function'
  ) {
    return (value as { toNumber(): number }).toNumber();
  }
  return 0;
}
