import { BackupError } from '@backup/core';
import { encodeGraphValue } from './encodeGraphValue.js';
import type { GraphLine } from './graphLine.js';
import type { EncodedJson, GraphValue } from './graphValue.js';

/**
 * Writes one line of a `.graph.jsonl` artifact (without the newline), in the shape of
 * `apoc.export.json.all` (`JsonFormatSerializer.java`; protocols.md 5.1) plus the `types` object:
 *
 * ```
 * {"type":"node","id":"4:…:0","labels":["User"],"properties":{"age":42,"name":"Adam"},"types":{"age":"INTEGER","name":"STRING"}}
 * {"type":"relationship","id":"5:…:0","label":"KNOWS","properties":{"since":1993},"types":{"since":"INTEGER"},"start":{"id":"4:…:0","labels":["User"]},"end":{"id":"4:…:1","labels":["User"]}}
 * ```
 *
 * As APOC does, `labels` is omitted when empty and `properties` when there are none (`types` with
 * it). Property keys are sorted so that the same graph always gives the same bytes.
 *
 * @throws BackupError `SOURCE_FAILED` naming the entity and property when a value cannot be encoded.
 */
export function formatGraphLine(line: GraphLine): string {
  const { properties, types } = encodeProperties(line);
  if (line.type === 'node') {
    return JSON.stringify({
      type: 'node',
      id: line.id,
      ...(line.labels.length > 0 ? { labels: line.labels } : {}),
      ...(properties ? { properties, types } : {}),
    });
  }
  return JSON.stringify({
    type: 'relationship',
    id: line.id,
    label: line.label,
    ...(properties ? { properties, types } : {}),
    start: endpoint(line.start),
    end: endpoint(line.end),
  });
}

function endpoint(e: { id: string; labels: string[] }) {
  return { id: e.id, ...(e.labels.length > 0 ? { labels: e.labels } : {}) };
}

function encodeProperties(line: GraphLine): {
  properties?: Record<string, EncodedJson>;
  types?: Record<string, string>;
} {
  const keys = Object.keys(line.properties).sort();
  if (keys.length === 0) return {};
  const values: [string, EncodedJson][] = [];
  const types: [string, string][] = [];
  for (const key of keys) {
    try {
      const encoded = encodeGraphValue(line.properties[key] as GraphValue);
      values.push([key, encoded.value]);
      types.push([key, encoded.type]);
    } catch (error) {
      throw new BackupError(
        'SOURCE_FAILED',
        `${line.type} ${line.id}, property ${JSON.stringify(key)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return { properties: Object.fromEntries(values), types: Object.fromEntries(types) };
}
