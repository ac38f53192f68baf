import { isBackupError } from '@backup/core';
import { Duration, int, LocalDateTime, Point } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import { formatGraphLine, type GraphLine, parseGraphLine } from '../src/index.js';

// Lines of real `apoc.export.json.all` output, from APOC's own test fixtures (Apache-2.0):
// neo4j/apoc core/src/test/resources/exportJSON/all_withNodeProps_withoutRelProps.json
//   (commit 051125105101e8bd77d4ec3bbfa0b4e1fe0e9978), lines 1 and 3;
// neo4j/apoc core/src/test/resources/exportJSON/all_withoutNodeProps_withRelProps.json
//   (commit d907487ff1b654f2f79cd88e9dadc84424977115), line 4.
const APOC_NODE_ADAM =
  '{"type":"node","id":"0","labels":["User"],"properties":{"born":"2015-07-04T19:32:24","name":"Adam","place":{"crs":"wgs-84","latitude":13.1,"longitude":33.46789,"height":null},"age":42,"male":true,"kids":["Sam","Anna","Grace"]}}';
const APOC_NODE_2 = '{"type":"node","id":"2","labels":["User"],"properties":{"age":12}}';
const APOC_RELATIONSHIP =
  '{"id":"0","type":"relationship","label":"KNOWS","properties":{"bffSince":"P5M1DT12H","since":1993},"start":{"id":"0","labels":["User"]},"end":{"id":"1","labels":["User"]}}';

/** Our line minus the type extras: what apoc.import.json would see of it. */
function withoutTypes(text: string): unknown {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  delete parsed['types'];
  return parsed;
}

describe('APOC line shape (apoc.export.json.all, JSON_LINES)', () => {
  it('writes a node with temporal, point, integer, boolean and list properties as APOC does', () => {
    const line: GraphLine = {
      type: 'node',
      id: '0',
      labels: ['User'],
      properties: {
        born: new LocalDateTime(int(2015), int(7), int(4), int(19), int(32), int(24), int(0)),
        name: 'Adam',
        place: new Point(int(4326), 33.46789, 13.1),
        age: int(42),
        male: true,
        kids: ['Sam', 'Anna', 'Grace'],
      },
    };
    const text = formatGraphLine(line);
    expect(withoutTypes(text)).toEqual(JSON.parse(APOC_NODE_ADAM));
    expect(JSON.parse(text).types).toEqual({
      age: 'INTEGER',
      born: 'LOCAL DATETIME',
      kids: 'LIST<STRING>',
      male: 'BOOLEAN',
      name: 'STRING',
      place: 'POINT',
    });
  });

  it('writes the same bytes as APOC for a node whose properties are in sorted order', () => {
    const text = formatGraphLine({ type: 'node', id: '2', labels: ['User'], properties: { age: int(12) } });
    expect(text).toBe(APOC_NODE_2.replace(/}$/, ',"types":{"age":"INTEGER"}}'));
  });

  it('writes a relationship with a duration and start/end endpoints as APOC does', () => {
    const text = formatGraphLine({
      type: 'relationship',
      id: '0',
      label: 'KNOWS',
      properties: { bffSince: new Duration(int(5), int(1), int(43200), int(0)), since: int(1993) },
      start: { id: '0', labels: ['User'] },
      end: { id: '1', labels: ['User'] },
    });
    expect(withoutTypes(text)).toEqual(JSON.parse(APOC_RELATIONSHIP));
    expect(JSON.parse(text).types).toEqual({ bffSince: 'DURATION', since: 'INTEGER' });
  });

  it('omits labels and properties when empty, as APOC does', () => {
    expect(formatGraphLine({ type: 'node', id: '7', labels: [], properties: {} })).toBe(
      '{"type":"node","id":"7"}',
    );
    expect(
      formatGraphLine({
        type: 'relationship',
        id: '8',
        label: 'LINK',
        properties: {},
        start: { id: '7', labels: [] },
        end: { id: '7', labels: [] },
      }),
    ).toBe('{"type":"relationship","id":"8","label":"LINK","start":{"id":"7"},"end":{"id":"7"}}');
  });

  it('reads its own lines back into driver values', () => {
    const line: GraphLine = {
      type: 'relationship',
      id: '5:abc:9',
      label: 'We`ird Type',
      properties: { since: int('9007199254740993'), ['__proto__']: 'own property', 'a.b': [1.5, -0] },
      start: { id: '4:abc:1', labels: ['A', 'B'] },
      end: { id: '4:abc:2', labels: [] },
    };
    const back = parseGraphLine(formatGraphLine(line), 'line 1');
    expect(back).toEqual(line);
    expect(Object.hasOwn((back as typeof line).properties, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf((back as typeof line).properties)).toBe(Object.prototype);
  });

  it('refuses a plain APOC line: without "types" the values are not exact', () => {
    expect(() => parseGraphLine(APOC_NODE_ADAM, 'line 1')).toThrow(/"properties" without "types"/);
    try {
      parseGraphLine(APOC_NODE_ADAM, 'line 1');
    } catch (error) {
      expect(isBackupError(error, 'VERIFY_FAILED')).toBe(true);
    }
  });

  it('refuses malformed lines with the line named', () => {
    for (const [text, message] of [
      ['{"type":"node"}', /line 3: "id" must be/],
      ['{"type":"edge","id":"1"}', /"type" must be "node" or "relationship"/],
      ['{"type":"relationship","id":"1","label":"X","start":{"id":"1"}}', /"end": the endpoint must be/],
      ['{"type":"node","id":"1","labels":"User"}', /"labels" must be a list/],
      [
        '{"type":"node","id":"1","properties":{"a":1},"types":{"a":"INTEGER","b":"STRING"}}',
        /names b without/,
      ],
      ['{"type":"node","id":"1",', /not valid JSON/],
    ] as const) {
      expect(() => parseGraphLine(text, 'line 3')).toThrow(message);
    }
  });
});
