import { driverError } from './driverError.js';
import type { TargetState } from './inspectTarget.js';
import type { Neo4jSessionLike } from './Neo4jDriverLike.js';
import type { Neo4jSchemaDocument } from './schemaDocument.js';

/** What {@link applySchema} did. */
export interface ApplySchemaResult {
  /** Constraints created (each with its owned index, if any). */
  constraints: number;
  /** Indexes created. */
  indexes: number;
  /** Names not created: the target already has an item of that name, or a lookup index for that entity type. */
  skipped: string[];
}

/**
 * Recreates a backup's schema after the data: every constraint's `createStatement` first (a
 * constraint brings its own index and validates the imported data), then every index's (range,
 * text, point, full-text, vector, lookup), each as an auto-commit statement. Items whose name the
 * target already has are skipped, and so are lookup indexes when the target already has one for
 * that entity type (every new database does). Indexes are populated by the server in the
 * background; the statements return once they are created.
 *
 * Note: the `createStatement` of a vector index does not escape single quotes in its options
 * (protocols.md 5.2); such a statement fails here and is reported.
 *
 * @param state The target as it is now (after wipe and import).
 * @throws BackupError `RESTORE_FAILED` naming the statement that failed (e.g. a uniqueness
 *   constraint the imported data violates).
 */
export async function applySchema(
  session: Neo4jSessionLike,
  schema: Neo4jSchemaDocument,
  state: TargetState,
): Promise<ApplySchemaResult> {
  const names = new Set([...state.constraints, ...state.indexes.map((i) => i.name)]);
  const lookups = new Set(state.indexes.filter((i) => i.type === 'LOOKUP').map((i) => i.entityType));
  const result: ApplySchemaResult = { constraints: 0, indexes: 0, skipped: [] };
  const run = async (name: string, statement: string) => {
    try {
      await session.run(statement);
    } catch (error) {
      throw driverError(error, 'RESTORE_FAILED', `Schema statement for ${name} failed: ${statement}`);
    }
  };
  for (const constraint of schema.constraints) {
    if (names.has(constraint.name)) {
      result.skipped.push(constraint.name);
      continue;
    }
    await run(constraint.name, constraint.createStatement);
    result.constraints++;
  }
  for (const index of schema.indexes) {
    if (names.has(index.name) || (index.type === 'LOOKUP' && lookups.has(index.entityType))) {
      result.skipped.push(index.name);
      continue;
    }
    await run(index.name, index.createStatement);
    result.indexes++;
  }
  return result;
}
