import type { GraphValue } from './graphValue.js';

/** The node end of a relationship line: its export id and labels (APOC's `start`/`end`). */
export interface GraphLineEndpoint {
  /** Export id of the node (`id` of its node line). */
  id: string;
  /** Labels, sorted; empty when the node has none. */
  labels: string[];
}

/**
 * One node of a `.graph.jsonl` artifact, decoded (docs/format.md, "Neo4j graph"):
 * `{"type":"node","id","labels","properties","types"}`.
 */
export interface NodeLine {
  type: 'node';
  /** Export id: `elementId(n)` on Neo4j 5+, the legacy `id(n)` as a string on 4.4. */
  id: string;
  /** Labels, sorted (APOC sorts them too: `FormatUtils.getLabelsSorted`). */
  labels: string[];
  /** Properties as driver values. */
  properties: Record<string, GraphValue>;
}

/**
 * One relationship of a `.graph.jsonl` artifact, decoded:
 * `{"type":"relationship","id","label","properties","types","start","end"}`.
 */
export interface RelationshipLine {
  type: 'relationship';
  /** Export id: `elementId(r)` on Neo4j 5+, `id(r)` as a string on 4.4. */
  id: string;
  /** Relationship type (APOC calls it `label`). */
  label: string;
  /** Properties as driver values. */
  properties: Record<string, GraphValue>;
  start: GraphLineEndpoint;
  end: GraphLineEndpoint;
}

/** A decoded line of a `.graph.jsonl` artifact. */
export type GraphLine = NodeLine | RelationshipLine;
