import { BackupError } from '@backup/core';

/**
 * Quotes a label, relationship type, property key, index/constraint or database name as a Cypher
 * identifier: wrapped in backticks, inner backticks doubled (Cypher manual, "Naming rules and
 * recommendations": "Backticks can be escaped with a backtick"). `Person` -> `` `Person` ``,
 * ``we`ird`` -> ``` `we``ird` ```.
 *
 * @throws BackupError `RESTORE_FAILED` for an empty name or one containing U+0000, which Neo4j
 *   cannot store (such a name cannot come from a real export).
 */
export function quoteIdentifier(name: string): string {
  if (name === '' || name.includes('\u0000')) {
    throw new BackupError('RESTORE_FAILED', `Invalid Cypher identifier ${JSON.stringify(name)}`);
  }
  return `\`${name.replaceAll('`', '``')}\``;
}
