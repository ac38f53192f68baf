import type { SchemaItem } from './InMemoryGraph.js';
import { QUOTED, quotedNames, unquote } from './identifiers.js';

/** A parsed `CREATE ... INDEX` / `CREATE CONSTRAINT` statement. */
export interface SchemaStatement {
  kind: 'index' | 'constraint';
  item: SchemaItem;
  ifNotExists: boolean;
  /** For constraints backed by an index (uniqueness, keys): that index's type. */
  ownsIndex: boolean;
}

// The forms Neo4j writes in `createStatement` (Cypher manual, "Create, show, and delete indexes"
// and "Create, show, and drop constraints"; 4.4 wrote constraints as `ON ... ASSERT`).
const PATTERN = String.raw`(\(n(?::([^)]*))?\)|\(\)-\[r(?::([^\]]*))?\]-\(\))`;
const INDEX_RE = new RegExp(
  String.raw`^CREATE (?:(RANGE|TEXT|POINT|FULLTEXT|VECTOR|LOOKUP|BTREE) )?INDEX ${QUOTED}( IF NOT EXISTS)? FOR ${PATTERN} ON (.+?)(?: OPTIONS \{.*\})?$`,
  's',
);
const CONSTRAINT_RE = new RegExp(
  `^CREATE CONSTRAINT ${QUOTED}( IF NOT EXISTS)? (?:FOR|ON) ${PATTERN} (?:REQUIRE|ASSERT) (.+) IS (UNIQUE|NODE KEY|RELATIONSHIP KEY|NOT NULL|:: .+)$`,
  's',
);

/**
 * Parses a schema statement the way the double understands them; `undefined` when `text` is no
 * such statement. `defaultIndexType` is RANGE on 5.x, BTREE on 4.4.
 */
export function parseSchemaStatement(text: string, defaultIndexType: string): SchemaStatement | undefined {
  const index = INDEX_RE.exec(text);
  if (index) {
    const [, type, name, ifNotExists, pattern, nodeLabels, relTypes, on] = index;
    const entityType = pattern!.startsWith('(n') ? 'NODE' : 'RELATIONSHIP';
    const tokens = entityType === 'NODE' ? nodeLabels : relTypes;
    const lookup = type === 'LOOKUP';
    return {
      kind: 'index',
      ifNotExists: ifNotExists !== undefined,
      ownsIndex: false,
      item: {
        name: unquote(name!),
        type: type ?? defaultIndexType,
        entityType,
        labelsOrTypes: lookup ? null : quotedNames(tokens ?? ''),
        properties: lookup ? null : quotedNames(on!),
        createStatement: text,
        owner: null,
      },
    };
  }
  const constraint = CONSTRAINT_RE.exec(text);
  if (constraint) {
    const [, name, ifNotExists, pattern, nodeLabels, relTypes, properties, predicate] = constraint;
    const node = pattern!.startsWith('(n');
    const type =
      predicate === 'UNIQUE'
        ? node
          ? 'UNIQUENESS'
          : 'RELATIONSHIP_UNIQUENESS'
        : predicate === 'NODE KEY'
          ? 'NODE_KEY'
          : predicate === 'RELATIONSHIP KEY'
            ? 'RELATIONSHIP_KEY'
            : predicate === 'NOT NULL'
              ? `${node ? 'NODE' : 'RELATIONSHIP'}_PROPERTY_EXISTENCE`
              : `${node ? 'NODE' : 'RELATIONSHIP'}_PROPERTY_TYPE`;
    return {
      kind: 'constraint',
      ifNotExists: ifNotExists !== undefined,
      ownsIndex: ['UNIQUENESS', 'RELATIONSHIP_UNIQUENESS', 'NODE_KEY', 'RELATIONSHIP_KEY'].includes(type),
      item: {
        name: unquote(name!),
        type,
        entityType: node ? 'NODE' : 'RELATIONSHIP',
        labelsOrTypes: quotedNames((node ? nodeLabels : relTypes) ?? ''),
        properties: quotedNames(properties!),
        createStatement: text,
        owner: null,
      },
    };
  }
  return undefined;
}

/** Constraint types Community Edition cannot create. */
export const ENTERPRISE_CONSTRAINTS = new Set([
  'NODE_KEY',
  'RELATIONSHIP_KEY',
  'NODE_PROPERTY_EXISTENCE',
  'RELATIONSHIP_PROPERTY_EXISTENCE',
  'NODE_PROPERTY_TYPE',
  'RELATIONSHIP_PROPERTY_TYPE',
]);
