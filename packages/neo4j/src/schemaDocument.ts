import { z } from '@backup/zod';

const names = z.array(z.string()).nullable();
const count = z.number().int().nonnegative();

/** Zod schema of one constraint in `<db>.schema.json` (columns of `SHOW CONSTRAINTS YIELD *`). */
export const schemaConstraintSchema = z.object({
  /** Constraint name, e.g. `book_isbn`. */
  name: z.string().min(1),
  /** `UNIQUENESS`, `NODE_KEY`, `NODE_PROPERTY_EXISTENCE`, `RELATIONSHIP_PROPERTY_TYPE`... */
  type: z.string().min(1),
  /** `NODE` or `RELATIONSHIP`. */
  entityType: z.string().min(1),
  labelsOrTypes: names,
  properties: names,
  /** Name of the index the constraint owns (5.x), `null` for existence/type constraints or on 4.4. */
  ownedIndex: z.string().nullable(),
  /** The statement that recreates it, as the server wrote it. */
  createStatement: z.string().regex(/^CREATE /, 'must be a CREATE statement'),
});

/** Zod schema of one index in `<db>.schema.json` (columns of `SHOW INDEXES YIELD *`). */
export const schemaIndexSchema = z.object({
  name: z.string().min(1),
  /** `RANGE`, `TEXT`, `POINT`, `FULLTEXT`, `VECTOR`, `LOOKUP` (`BTREE` on 4.4). */
  type: z.string().min(1),
  entityType: z.string().min(1),
  labelsOrTypes: names,
  properties: names,
  createStatement: z.string().regex(/^CREATE /, 'must be a CREATE statement'),
});

/**
 * Zod schema of the `<db>.schema.json` artifact (docs/format.md, "Neo4j schema"): the database's
 * constraints and the indexes no constraint owns, with their `createStatement`s, plus the server
 * and the counts of the graph artifact written in the same backup.
 */
export const neo4jSchemaDocumentSchema = z.object({
  format: z.literal('neo4j-schema'),
  formatVersion: z.literal(1),
  /** Database name on the source server. */
  database: z.string().min(1),
  server: z.object({ version: z.string(), edition: z.string() }),
  /** Which ids the graph artifact carries: `elementId` (5+) or `id` (4.4). */
  idKind: z.enum(['elementId', 'id']),
  /** Lines of the graph artifact: totals, nodes per label, relationships per type. */
  counts: z.object({
    nodes: count,
    relationships: count,
    labels: z.record(z.string(), count),
    relationshipTypes: z.record(z.string(), count),
  }),
  /** Sorted by name. */
  constraints: z.array(schemaConstraintSchema),
  /** Sorted by name; indexes owned by constraints are left out (they come with the constraint). */
  indexes: z.array(schemaIndexSchema),
});

/** One constraint of a schema document. */
export type SchemaConstraint = z.infer<typeof schemaConstraintSchema>;
/** One index of a schema document. */
export type SchemaIndex = z.infer<typeof schemaIndexSchema>;
/** A parsed `<db>.schema.json`. */
export type Neo4jSchemaDocument = z.infer<typeof neo4jSchemaDocumentSchema>;
