import { codecError } from './codecError.js';
import { decodeGraphValue } from './decodeGraphValue.js';
import type { GraphLine, GraphLineEndpoint } from './graphLine.js';
import type { EncodedJson, GraphValue } from './graphValue.js';
import { parseExactJson } from './parseExactJson.js';

/**
 * Reads one line of a `.graph.jsonl` artifact (docs/format.md, "Neo4j graph") into a
 * {@link GraphLine} with driver values. Checks the shape strictly: `type` is `node` or
 * `relationship`, `id` a non-empty string, `labels` (optional) a list of strings,
 * `properties`/`types` (optional, together) objects with the same keys, and for relationships
 * `label` plus `start`/`end` endpoints. Unknown top-level keys are ignored.
 *
 * @param text The line without its newline.
 * @param where Names the line in errors, e.g. `neo4j.graph.jsonl line 7`.
 * @throws BackupError `VERIFY_FAILED` naming the line (and property) for anything malformed.
 */
export function parseGraphLine(text: string, where: string): GraphLine {
  const parsed = parseExactJson(text, where);
  const line = object(parsed, where, 'the line');
  const id = line['id'];
  if (typeof id !== 'string' || id === '') throw codecError(`${where}: "id" must be a non-empty string`);
  const properties = decodeProperties(line, where);
  if (line['type'] === 'node') {
    return { type: 'node', id, labels: labels(line['labels'], `${where}: "labels"`), properties };
  }
  if (line['type'] === 'relationship') {
    const label = line['label'];
    if (typeof label !== 'string' || label === '') {
      throw codecError(`${where}: "label" (the relationship type) must be a non-empty string`);
    }
    return {
      type: 'relationship',
      id,
      label,
      properties,
      start: endpoint(line['start'], `${where}: "start"`),
      end: endpoint(line['end'], `${where}: "end"`),
    };
  }
  throw codecError(`${where}: "type" must be "node" or "relationship", got ${JSON.stringify(line['type'])}`);
}

function decodeProperties(line: Record<string, unknown>, where: string): Record<string, GraphValue> {
  if (line['properties'] === undefined && line['types'] === undefined) return {};
  if (line['types'] === undefined) {
    throw codecError(
      `${where}: "properties" without "types": the values' types are unknown (a plain apoc.export.json.all line?)`,
    );
  }
  const values = object(line['properties'], where, '"properties"');
  const types = object(line['types'], where, '"types"');
  const keys = Object.keys(values);
  const extra = Object.keys(types).filter((k) => !Object.hasOwn(values, k));
  if (extra.length > 0) throw codecError(`${where}: "types" names ${extra.join(', ')} without a property`);
  return Object.fromEntries(
    keys.map((key) => {
      const type = types[key];
      if (typeof type !== 'string') throw codecError(`${where}: property ${JSON.stringify(key)} has no type`);
      return [
        key,
        decodeGraphValue(
          { type, value: values[key] as EncodedJson },
          `${where}, property ${JSON.stringify(key)}`,
        ),
      ];
    }),
  );
}

function endpoint(value: unknown, where: string): GraphLineEndpoint {
  const map = object(value, where, 'the endpoint');
  const id = map['id'];
  if (typeof id !== 'string' || id === '') throw codecError(`${where}.id must be a non-empty string`);
  return { id, labels: labels(map['labels'], `${where}.labels`) };
}

function labels(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((l) => typeof l === 'string' && l !== '')) {
    throw codecError(`${where} must be a list of non-empty strings`);
  }
  return value as string[];
}

function object(value: unknown, where: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw codecError(`${where}: ${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
