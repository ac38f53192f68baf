import { randomUUID } from 'node:crypto';

/** A node of the in-memory graph. */
export interface StoredNode {
  id: number;
  elementId: string;
  labels: string[];
  properties: Record<string, unknown>;
}

/** A relationship of the in-memory graph. */
export interface StoredRelationship {
  id: number;
  elementId: string;
  type: string;
  start: number;
  end: number;
  properties: Record<string, unknown>;
}

/** A constraint or index, with what SHOW CONSTRAINTS / SHOW INDEXES report about it. */
export interface SchemaItem {
  name: string;
  /** UNIQUENESS, NODE_KEY... for constraints; RANGE, TEXT, FULLTEXT, LOOKUP... for indexes. */
  type: string;
  entityType: 'NODE' | 'RELATIONSHIP';
  labelsOrTypes: string[] | null;
  properties: string[] | null;
  createStatement: string;
  /** Constraints: the index they own. Indexes: the constraint owning them. */
  owner: string | null;
}

/** An undo step of a transaction: runs on rollback. */
export type Undo = () => void;

/**
 * One database of the double: nodes, relationships, constraints and indexes. Ids are never
 * reused; element ids look like Neo4j 5's (`4:<database uuid>:<id>` for nodes, `5:...` for
 * relationships). Every mutation pushes its inverse onto `undo` so a transaction can roll back.
 */
export class InMemoryGraph {
  readonly uuid = randomUUID();
  readonly nodes = new Map<number, StoredNode>();
  readonly relationships = new Map<number, StoredRelationship>();
  readonly constraints = new Map<string, SchemaItem>();
  readonly indexes = new Map<string, SchemaItem>();
  private nextNodeId = 0;
  private nextRelationshipId = 0;

  createNode(labels: string[], properties: Record<string, unknown>, undo: Undo[] = []): StoredNode {
    const id = this.nextNodeId++;
    const node: StoredNode = {
      id,
      elementId: `4:${this.uuid}:${id}`,
      labels: [...new Set(labels)],
      properties,
    };
    this.nodes.set(id, node);
    undo.push(() => this.nodes.delete(id));
    return node;
  }

  createRelationship(
    start: StoredNode,
    type: string,
    end: StoredNode,
    properties: Record<string, unknown>,
    undo: Undo[] = [],
  ): StoredRelationship {
    const id = this.nextRelationshipId++;
    const rel: StoredRelationship = {
      id,
      elementId: `5:${this.uuid}:${id}`,
      type,
      start: start.id,
      end: end.id,
      properties,
    };
    this.relationships.set(id, rel);
    undo.push(() => this.relationships.delete(id));
    return rel;
  }

  /** DETACH DELETE. */
  deleteNode(node: StoredNode, undo: Undo[]): void {
    for (const rel of [...this.relationships.values()]) {
      if (rel.start === node.id || rel.end === node.id) {
        this.relationships.delete(rel.id);
        undo.push(() => this.relationships.set(rel.id, rel));
      }
    }
    this.nodes.delete(node.id);
    undo.push(() => this.nodes.set(node.id, node));
  }

  /** Replaces a node's labels and properties (REMOVE / SET). */
  updateNode(node: StoredNode, labels: string[], properties: Record<string, unknown>, undo: Undo[]): void {
    const before = { labels: node.labels, properties: node.properties };
    node.labels = labels;
    node.properties = properties;
    undo.push(() => {
      node.labels = before.labels;
      node.properties = before.properties;
    });
  }

  addSchema(kind: 'constraint' | 'index', item: SchemaItem, undo: Undo[]): void {
    const map = kind === 'constraint' ? this.constraints : this.indexes;
    map.set(item.name, item);
    undo.push(() => map.delete(item.name));
  }

  dropSchema(kind: 'constraint' | 'index', name: string, undo: Undo[]): boolean {
    const map = kind === 'constraint' ? this.constraints : this.indexes;
    const item = map.get(name);
    if (!item) return false;
    map.delete(name);
    undo.push(() => map.set(name, item));
    return true;
  }
}
