import { isInt } from 'neo4j-driver';

/**
 * A count or id the server returned (an `Integer`, a `bigint` with `useBigInt`, or a `number`)
 * as a JavaScript number. Counts of nodes and relationships stay far below 2^53.
 *
 * @returns `NaN` for anything that is not a number.
 */
export function integerValue(value: unknown): number {
  if (isInt(value)) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  return Number.NaN;
}
