import type { Readable } from 'node:stream';
import { BackupError } from '@backup/core';
import { QDRANT_EXPORT_FORMAT, QDRANT_EXPORT_FORMAT_VERSION } from './exportFormat.js';
import { ndjsonLines } from './ndjsonLines.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * Structural check of a portable export (`<collection>.ndjson`, docs/format.md "Qdrant"), reading
 * it to the end: line 1 is a header of format `qdrant-points-ndjson` version <= 1 with a collection
 * config; every following line is a point (`id` a non-negative integer or a UUID; `vector` a dense,
 * multi or named/sparse vector; `payload` an object); the last line is the footer and its `points`
 * equals the number of point lines. Returns the number of points.
 *
 * @throws BackupError `VERIFY_FAILED` naming the line and the problem.
 */
export async function verifyExport(plaintext: Readable, name: string): Promise<number> {
  const fail = (line: number, why: string): never => {
    throw new BackupError('VERIFY_FAILED', `${name} line ${line}: ${why}`);
  };
  let points = 0;
  let header = false;
  let footer: number | undefined;
  try {
    for await (const { number, text } of ndjsonLines(plaintext)) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(text) as Record<string, unknown>;
      } catch (error) {
        return fail(number, `not JSON (${(error as Error).message})`);
      }
      if (footer !== undefined) fail(number, 'data after the footer');
      if (!header) {
        if (record['type'] !== 'header' || record['format'] !== QDRANT_EXPORT_FORMAT) {
          fail(number, `the first line must be a ${QDRANT_EXPORT_FORMAT} header`);
        }
        const version = record['formatVersion'];
        if (typeof version !== 'number' || version < 1 || version > QDRANT_EXPORT_FORMAT_VERSION) {
          fail(number, `unsupported formatVersion ${String(version)}`);
        }
        const config = record['config'] as { params?: unknown } | undefined;
        if (!config || typeof config !== 'object' || !config.params || typeof config.params !== 'object') {
          fail(number, 'the header has no collection config (config.params)');
        }
        header = true;
        continue;
      }
      if (record['type'] === 'footer') {
        footer = typeof record['points'] === 'number' ? record['points'] : -1;
        if (footer !== points)
          fail(number, `the footer counts ${String(record['points'])} points, the file has ${points}`);
        continue;
      }
      if (record['type'] !== 'point') fail(number, `unknown record type ${String(record['type'])}`);
      const id = record['id'];
      const idOk =
        (typeof id === 'number' && Number.isInteger(id) && id >= 0) ||
        (typeof id === 'string' && UUID.test(id));
      if (!idOk) fail(number, `point id ${JSON.stringify(id)} is neither a uint64 nor a UUID`);
      if (!isVectorStruct(record['vector'])) fail(number, `point ${String(id)} has a malformed vector`);
      const payload = record['payload'];
      if (
        payload !== undefined &&
        payload !== null &&
        (typeof payload !== 'object' || Array.isArray(payload))
      ) {
        fail(number, `point ${String(id)} has a payload that is not an object`);
      }
      points++;
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError('VERIFY_FAILED', `${name}: ${(error as Error).message}`, { cause: error });
  }
  if (!header) throw new BackupError('VERIFY_FAILED', `${name} is empty: no header line`);
  if (footer === undefined) {
    throw new BackupError(
      'VERIFY_FAILED',
      `${name} has no footer line: the export is truncated after ${points} points`,
    );
  }
  return points;
}

function isNumbers(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

function isVector(value: unknown): boolean {
  if (isNumbers(value)) return true;
  if (Array.isArray(value)) return value.length > 0 && value.every(isNumbers);
  if (value !== null && typeof value === 'object') {
    const sparse = value as { indices?: unknown; values?: unknown };
    return (
      isNumbers(sparse.indices) &&
      isNumbers(sparse.values) &&
      (sparse.indices as number[]).length === (sparse.values as number[]).length
    );
  }
  return false;
}

function isVectorStruct(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return isVector(value);
  if (typeof value === 'object') return Object.values(value).every(isVector);
  return false;
}
