import { isBackupError } from '@backup/core';
import neo4j, {
  Date as CypherDate,
  DateTime,
  Duration,
  Integer,
  int,
  isDate,
  isDateTime,
  isDuration,
  isLocalDateTime,
  isLocalTime,
  isPoint,
  isTime,
  isVector,
  LocalDateTime,
  LocalTime,
  Point,
  Time,
} from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import {
  decodeGraphValue,
  type EncodedGraphValue,
  encodeGraphValue,
  type GraphValue,
  parseExactJson,
} from '../src/index.js';

/** encode -> JSON text -> exact parse -> decode: what a backup and a restore do to a value. */
function throughText(value: GraphValue): { decoded: GraphValue; text: string } {
  const text = JSON.stringify(encodeGraphValue(value));
  return { decoded: decodeGraphValue(parseExactJson(text, 'test') as EncodedGraphValue), text };
}

function expectRoundTrip(value: GraphValue, type: string): string {
  const encoded = encodeGraphValue(value);
  expect(encoded.type).toBe(type);
  expect(decodeGraphValue(encoded)).toEqual(value);
  const { decoded, text } = throughText(value);
  expect(decoded).toEqual(value);
  return text;
}

describe('INTEGER', () => {
  it('round-trips int64 extremes and values beyond 2^53 exactly, as bare JSON numbers', () => {
    const cases: [Integer, string][] = [
      [int(0), '0'],
      [int(42), '42'],
      [int(-1), '-1'],
      [int(Number.MAX_SAFE_INTEGER), '9007199254740991'],
      [int('9007199254740993'), '9007199254740993'],
      [int('-9007199254740993'), '-9007199254740993'],
      [Integer.MAX_VALUE, '9223372036854775807'],
      [Integer.MIN_VALUE, '-9223372036854775808'],
    ];
    for (const [value, digits] of cases) {
      const text = expectRoundTrip(value, 'INTEGER');
      expect(text).toBe(`{"type":"INTEGER","value":${digits}}`);
    }
  });

  it('reads bigint (useBigInt drivers) as INTEGER and decodes to the driver Integer', () => {
    expect(decodeGraphValue(encodeGraphValue(2n ** 63n - 1n))).toEqual(Integer.MAX_VALUE);
    expect(() => encodeGraphValue(2n ** 63n)).toThrow(/outside the int64 range/);
  });

  it('rejects non-integral or out-of-range encodings', () => {
    for (const value of [1.5, '12a', '9223372036854775808', true]) {
      expect(() => decodeGraphValue({ type: 'INTEGER', value: value as never })).toSatisfy(
        throwsCode('VERIFY_FAILED'),
      );
    }
  });
});

describe('FLOAT', () => {
  it('round-trips every double exactly, including -0.0, NaN, Infinity and integral values', () => {
    const values = [
      0,
      1.5,
      0.1,
      -2.5e-7,
      1e308,
      5e-324,
      -1e-310,
      1e20,
      3,
      Number.MAX_VALUE,
      -Number.MIN_VALUE,
    ];
    for (const value of values) {
      const { decoded } = throughText(value);
      expect(Object.is(decoded, value), `${value}`).toBe(true);
      expect(encodeGraphValue(value).type).toBe('FLOAT');
    }
    expect(throughText(-0).text).toBe('{"type":"FLOAT","value":-0.0}');
    expect(Object.is(throughText(-0).decoded, -0)).toBe(true);
    expect(throughText(Number.NaN).text).toBe('{"type":"FLOAT","value":"NaN"}');
    expect(Number.isNaN(throughText(Number.NaN).decoded)).toBe(true);
    expect(throughText(Infinity).decoded).toBe(Infinity);
    expect(throughText(-Infinity).text).toBe('{"type":"FLOAT","value":"-Infinity"}');
    expect(throughText(-Infinity).decoded).toBe(-Infinity);
  });

  it('keeps an integral float a FLOAT (3.0 does not become INTEGER 3)', () => {
    const decoded = throughText(3).decoded;
    expect(typeof decoded).toBe('number');
    expect(neo4j.isInt(decoded)).toBe(false);
  });
});

describe('strings, booleans, null, bytes', () => {
  it('round-trips strings (unicode, quotes, newlines), booleans and null', () => {
    expectRoundTrip('Grüße "quoted"\n\u0000 😀', 'STRING');
    expectRoundTrip(true, 'BOOLEAN');
    expectRoundTrip(false, 'BOOLEAN');
    expectRoundTrip(null, 'NULL');
  });

  it('round-trips byte arrays as base64 into Int8Array', () => {
    const bytes = new Int8Array([-128, -1, 0, 1, 127, 42, 7]);
    const text = expectRoundTrip(bytes, 'BYTES');
    expect(text).toBe(
      `{"type":"BYTES","value":"${Buffer.from([128, 255, 0, 1, 127, 42, 7]).toString('base64')}"}`,
    );
    expect(throughText(bytes).decoded).toBeInstanceOf(Int8Array);
    expectRoundTrip(new Int8Array(0), 'BYTES');
    // A view into a larger buffer encodes only its own bytes.
    const view = new Int8Array(new Int8Array([9, 8, 7, 6]).buffer, 1, 2);
    expect(throughText(view).decoded).toEqual(new Int8Array([8, 7]));
    expect(() => decodeGraphValue({ type: 'BYTES', value: 'not base64!' })).toSatisfy(
      throwsCode('VERIFY_FAILED'),
    );
  });
});

describe('temporal values', () => {
  it('round-trips dates, including years beyond 9999 and before year 1', () => {
    for (const [y, m, d] of [
      [2018, 10, 10],
      [1, 1, 1],
      [9999, 12, 31],
      [10000, 1, 1],
      [-1, 12, 31],
      [999999999, 12, 31],
    ] as const) {
      const value = new CypherDate(int(y), int(m), int(d));
      const text = expectRoundTrip(value, 'DATE');
      expect(text).toBe(`{"type":"DATE","value":"${value.toString()}"}`);
      expect(isDate(throughText(value).decoded)).toBe(true);
    }
  });

  it('round-trips local times and zoned times with nanoseconds and second offsets', () => {
    for (const value of [
      new LocalTime(int(12), int(50), int(35), int(556000000)),
      new LocalTime(int(0), int(0), int(0), int(1)),
      new LocalTime(int(23), int(59), int(59), int(999999999)),
    ]) {
      expectRoundTrip(value, 'LOCAL TIME');
      expect(isLocalTime(throughText(value).decoded)).toBe(true);
    }
    for (const value of [
      new Time(int(12), int(50), int(35), int(556000000), int(3600)),
      new Time(int(8), int(0), int(0), int(0), int(0)),
      new Time(int(23), int(1), int(2), int(3), int(-(5 * 3600 + 30 * 60 + 15))),
      new Time(int(1), int(2), int(3), int(4), int(18 * 3600)),
    ]) {
      expectRoundTrip(value, 'ZONED TIME');
      expect(isTime(throughText(value).decoded)).toBe(true);
    }
  });

  it('round-trips local datetimes and zoned datetimes with an offset, a named zone, or both', () => {
    const local = new LocalDateTime(int(2015), int(7), int(4), int(19), int(32), int(24), int(0));
    expect(expectRoundTrip(local, 'LOCAL DATETIME')).toBe(
      '{"type":"LOCAL DATETIME","value":"2015-07-04T19:32:24"}',
    );
    expect(isLocalDateTime(throughText(local).decoded)).toBe(true);
    const cases = [
      new DateTime(int(2018), int(10), int(18), int(14), int(21), int(40), int(4000000), int(0)),
      new DateTime(
        int(2015),
        int(7),
        int(4),
        int(19),
        int(32),
        int(24),
        int(123456789),
        int(-(3 * 3600 + 30 * 60)),
      ),
      new DateTime(int(2015), int(7), int(4), int(19), int(32), int(24), int(0), undefined, 'Europe/Berlin'),
      new DateTime(int(2015), int(7), int(4), int(19), int(32), int(24), int(0), int(7200), 'Europe/Berlin'),
      new DateTime(int(-44), int(3), int(15), int(12), int(0), int(0), int(0), int(0), 'UTC'),
    ];
    for (const value of cases) {
      expectRoundTrip(value, 'ZONED DATETIME');
      const decoded = throughText(value).decoded as DateTime;
      expect(isDateTime(decoded)).toBe(true);
      expect(decoded.timeZoneId).toBe(value.timeZoneId);
      expect(decoded.timeZoneOffsetSeconds).toEqual(value.timeZoneOffsetSeconds);
    }
    expect(encodeGraphValue(cases[3]!).value).toBe('2015-07-04T19:32:24+02:00[Europe/Berlin]');
  });

  it('reads the java.time forms APOC exports (short seconds, millisecond fractions, 5-digit years)', () => {
    expect(decodeGraphValue({ type: 'LOCAL TIME', value: '10:15' })).toEqual(
      new LocalTime(int(10), int(15), int(0), int(0)),
    );
    expect(decodeGraphValue({ type: 'ZONED DATETIME', value: '2018-10-18T14:21:40.004Z' })).toEqual(
      new DateTime(int(2018), int(10), int(18), int(14), int(21), int(40), int(4000000), int(0)),
    );
    expect(decodeGraphValue({ type: 'DATE', value: '+10000-01-01' })).toEqual(
      new CypherDate(int(10000), int(1), int(1)),
    );
  });

  it('rejects malformed or impossible temporal values with VERIFY_FAILED', () => {
    for (const [type, value] of [
      ['DATE', '2018-13-01'],
      ['DATE', '18-01-01'],
      ['LOCAL TIME', '25:00:00'],
      ['ZONED TIME', '12:00:00'],
      ['ZONED DATETIME', '2018-10-18T14:21:40'],
      ['ZONED DATETIME', '2018-10-18T14:21:40[Not/AZone]'],
      ['LOCAL DATETIME', 42],
    ] as const) {
      expect(() => decodeGraphValue({ type, value }), `${type} ${value}`).toSatisfy(
        throwsCode('VERIFY_FAILED'),
      );
    }
  });
});

describe('DURATION', () => {
  it('writes Neo4j/APOC ISO text and reads it back exactly, negative and fractional included', () => {
    const cases: [Duration, string][] = [
      [new Duration(int(5), int(1), int(43200), int(0)), 'P5M1DT12H'],
      [new Duration(int(0), int(0), int(0), int(0)), 'PT0S'],
      [new Duration(int(14), int(16), int(3723), int(7)), 'P1Y2M16DT1H2M3.000000007S'],
      [new Duration(int(0), int(0), int(-1), int(500000000)), 'PT-0.5S'],
      [new Duration(int(0), int(0), int(-1), int(999999999)), 'PT-0.000000001S'],
      [new Duration(int(-14), int(-3), int(-3600), int(0)), 'P-1Y-2M-3DT-1H'],
      [new Duration(int(0), int(2), int(0), int(0)), 'P2D'],
      [new Duration(int(2 ** 40), int(-(2 ** 40)), int('9000000000000000'), int(1)), ''],
    ];
    for (const [value, text] of cases) {
      const encoded = encodeGraphValue(value);
      expect(encoded.type).toBe('DURATION');
      if (text !== '') expect(encoded.value).toBe(text);
      const { decoded } = throughText(value);
      expect(isDuration(decoded)).toBe(true);
      expect(decoded).toEqual(value);
    }
  });

  it('reads weeks, a leading sign and comma fractions; rejects a dangling T', () => {
    expect(decodeGraphValue({ type: 'DURATION', value: 'P2W' })).toEqual(
      new Duration(int(0), int(14), int(0), int(0)),
    );
    expect(decodeGraphValue({ type: 'DURATION', value: '-P1DT1,5S' })).toEqual(
      new Duration(int(0), int(-1), int(-2), int(500000000)),
    );
    expect(() => decodeGraphValue({ type: 'DURATION', value: 'P1DT' })).toSatisfy(
      throwsCode('VERIFY_FAILED'),
    );
    expect(() => decodeGraphValue({ type: 'DURATION', value: 'P' })).toSatisfy(throwsCode('VERIFY_FAILED'));
  });
});

describe('POINT', () => {
  it('round-trips points in the four CRS in APOC shape', () => {
    const cases: [Point, string][] = [
      [new Point(int(7203), 1.5, -2.25), '{"crs":"cartesian","x":1.5,"y":-2.25,"z":null}'],
      [new Point(int(9157), 1, 2, 3.5), '{"crs":"cartesian-3d","x":1,"y":2,"z":3.5}'],
      [
        new Point(int(4326), 33.46789, 13.1),
        '{"crs":"wgs-84","latitude":13.1,"longitude":33.46789,"height":null}',
      ],
      [
        new Point(int(4979), -122.7955, 38.8232, 3),
        '{"crs":"wgs-84-3d","latitude":38.8232,"longitude":-122.7955,"height":3}',
      ],
    ];
    for (const [value, json] of cases) {
      const text = expectRoundTrip(value, 'POINT');
      expect(text).toBe(`{"type":"POINT","value":${json}}`);
      const decoded = throughText(value).decoded as Point;
      expect(isPoint(decoded)).toBe(true);
      expect(decoded.z).toBe(value.z);
    }
    const negativeZero = throughText(new Point(int(7203), -0, 0)).decoded as Point;
    expect(Object.is(negativeZero.x, -0)).toBe(true);
  });

  it('rejects unknown CRS and mismatched dimensions', () => {
    expect(() => decodeGraphValue({ type: 'POINT', value: { crs: 'mars', x: 1, y: 2 } })).toSatisfy(
      throwsCode('VERIFY_FAILED'),
    );
    expect(() =>
      decodeGraphValue({ type: 'POINT', value: { crs: 'cartesian', x: 1, y: 2, z: 3 } }),
    ).toSatisfy(throwsCode('VERIFY_FAILED'));
    expect(() =>
      decodeGraphValue({ type: 'POINT', value: { crs: 'wgs-84-3d', latitude: 1, longitude: 2 } }),
    ).toSatisfy(throwsCode('VERIFY_FAILED'));
  });
});

describe('lists and vectors', () => {
  it('round-trips homogeneous lists of every type with LIST<T>', () => {
    expectRoundTrip([int(1), Integer.MAX_VALUE, Integer.MIN_VALUE], 'LIST<INTEGER>');
    expectRoundTrip([1.5, -0, Number.NaN], 'LIST<FLOAT>');
    expectRoundTrip(['a', 'b'], 'LIST<STRING>');
    expectRoundTrip([true, false], 'LIST<BOOLEAN>');
    expectRoundTrip([new CypherDate(int(2020), int(2), int(29))], 'LIST<DATE>');
    expectRoundTrip(
      [new DateTime(int(2020), int(1), int(1), int(0), int(0), int(0), int(0), int(3600), 'Europe/Paris')],
      'LIST<ZONED DATETIME>',
    );
    expectRoundTrip([new Duration(int(1), int(0), int(0), int(0))], 'LIST<DURATION>');
    expectRoundTrip([new Point(int(4326), 1, 2), new Point(int(4326), 3, 4)], 'LIST<POINT>');
    expectRoundTrip([new Int8Array([1, 2]), new Int8Array([-3])], 'LIST<BYTES>');
    expectRoundTrip([], 'LIST<NOTHING>');
  });

  it('round-trips nested and mixed lists', () => {
    expectRoundTrip(
      [
        [int(1), int(2)],
        [int(3), Integer.MAX_VALUE],
      ],
      'LIST<LIST<INTEGER>>',
    );
    const mixed = [[int(1)], [1.5], null, 'x', new LocalTime(int(1), int(2), int(3), int(4))];
    const text = expectRoundTrip(mixed, 'LIST<ANY>');
    expect(JSON.parse(text).value[0]).toEqual({ type: 'LIST<INTEGER>', value: [1] });
  });

  it('round-trips driver vectors of every element type', () => {
    const vectors = [
      neo4j.vector(new Float32Array([0.5, -1.25, 3.4028234663852886e38])),
      neo4j.vector(new Float64Array([0.1, -0, 1e-300])),
      neo4j.vector(new Int8Array([-128, 127])),
      neo4j.vector(new Int16Array([-32768, 32767])),
      neo4j.vector(new Int32Array([-2147483648, 2147483647])),
      neo4j.vector(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n])),
    ];
    for (const value of vectors) {
      const { decoded, text } = throughText(value);
      expect(encodeGraphValue(value).type).toBe(`VECTOR<${value.getType()}>`);
      expect(isVector(decoded)).toBe(true);
      expect(decoded).toEqual(value);
      expect(text).not.toContain('"value":{');
    }
  });
});

describe('errors', () => {
  it('refuses to encode values that are not property values', () => {
    for (const value of [{ a: 1 }, undefined, () => 1, neo4j.uuid('123e4567-e89b-12d3-a456-426614174000')]) {
      expect(() => encodeGraphValue(value as never)).toSatisfy(throwsCode('SOURCE_FAILED'));
    }
  });

  it('refuses unknown types and values that do not match their type', () => {
    for (const encoded of [
      { type: 'MAP', value: {} },
      { type: 'STRING', value: 1 },
      { type: 'BOOLEAN', value: 'true' },
      { type: 'NULL', value: 0 },
      { type: 'LIST<INTEGER>', value: 5 },
      { type: 'LIST<NOTHING>', value: [1] },
      { type: 'LIST<ANY>', value: [1] },
      { type: 'VECTOR<INT4>', value: [1] },
    ]) {
      expect(() => decodeGraphValue(encoded as EncodedGraphValue), encoded.type).toSatisfy(
        throwsCode('VERIFY_FAILED'),
      );
    }
  });
});

function throwsCode(code: string) {
  return (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return isBackupError(error, code as never);
    }
    return false;
  };
}
