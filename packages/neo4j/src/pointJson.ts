import { int, Point } from 'neo4j-driver';
import { codecError } from './codecError.js';
import { decodeFloat, encodeFloat } from './floatJson.js';
import type { EncodedJson, NumberOrInteger } from './graphValue.js';

/**
 * The four coordinate reference systems of Neo4j points, by SRID: the `crs` name
 * `apoc.export.json.all` writes (`PointSerializer.java` writes `getCRS().getType()`), whether it
 * is geographic (`latitude`/`longitude`/`height`) or cartesian (`x`/`y`/`z`), and its dimensions.
 * Source: Cypher manual, "Spatial values" (SRIDs 7203, 9157, 4326, 4979).
 */
export const POINT_CRS: Readonly<Record<number, { name: string; geographic: boolean; dimensions: 2 | 3 }>> = {
  7203: { name: 'cartesian', geographic: false, dimensions: 2 },
  9157: { name: 'cartesian-3d', geographic: false, dimensions: 3 },
  4326: { name: 'wgs-84', geographic: true, dimensions: 2 },
  4979: { name: 'wgs-84-3d', geographic: true, dimensions: 3 },
};

/**
 * Encodes a point in APOC's shape (protocols.md 5.1): `{"crs":"wgs-84","latitude":y,"longitude":x,
 * "height":null}` or `{"crs":"cartesian","x":…,"y":…,"z":null}`; `height`/`z` is `null` in 2D.
 * Coordinates use the exact float encoding (`-0.0`, `"NaN"`).
 *
 * @throws BackupError `VERIFY_FAILED` for an SRID Neo4j does not define.
 */
export function encodePoint(point: Point<NumberOrInteger>): EncodedJson {
  const srid = Number(point.srid.toString());
  const crs = POINT_CRS[srid];
  if (!crs) throw codecError(`POINT with unknown SRID ${srid}`);
  const third = crs.dimensions === 3 ? encodeFloat(point.z ?? Number.NaN) : null;
  return crs.geographic
    ? { crs: crs.name, latitude: encodeFloat(point.y), longitude: encodeFloat(point.x), height: third }
    : { crs: crs.name, x: encodeFloat(point.x), y: encodeFloat(point.y), z: third };
}

/**
 * Decodes an APOC-shaped point back into the driver's `Point` (`srid` as `Integer`, `z`
 * undefined in 2D).
 *
 * @throws BackupError `VERIFY_FAILED` for an unknown `crs`, missing coordinates or a third
 *   coordinate that does not match the CRS's dimensions.
 */
export function decodePoint(value: unknown, where: string): Point {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw codecError(`${where}: POINT must be an object with a crs`);
  }
  const map = value as Record<string, unknown>;
  const entry = Object.entries(POINT_CRS).find(([, c]) => c.name === map['crs']);
  if (!entry) throw codecError(`${where}: POINT has unknown crs ${JSON.stringify(map['crs'])}`);
  const [srid, crs] = entry;
  const [xKey, yKey, zKey] = crs.geographic ? ['longitude', 'latitude', 'height'] : ['x', 'y', 'z'];
  const x = decodeFloat(map[xKey], `${where}.${xKey}`);
  const y = decodeFloat(map[yKey], `${where}.${yKey}`);
  const z = map[zKey];
  if (crs.dimensions === 2) {
    if (z !== undefined && z !== null) throw codecError(`${where}: 2D POINT (${crs.name}) has a ${zKey}`);
    return new Point(int(Number(srid)), x, y);
  }
  return new Point(int(Number(srid)), x, y, decodeFloat(z, `${where}.${zKey}`));
}
