import type { Readable } from 'node:stream';
import { BackupError, type EngineContext } from '@backup/core';
import { parse } from 'lossless-json';
import { createCollectionBody } from './createCollectionBody.js';
import { ensureTargetEmpty } from './ensureTargetEmpty.js';
import {
  QDRANT_EXPORT_FORMAT,
  QDRANT_EXPORT_FORMAT_VERSION,
  type QdrantExportHeader,
} from './exportFormat.js';
import { ndjsonLines } from './ndjsonLines.js';
import type { QdrantConnection } from './QdrantConnection.js';

/** Options of {@link importCollection}. */
export interface ImportCollectionOptions {
  /** Target collection name. */
  collection: string;
  /** Replace a collection that holds points (it is deleted and recreated). */
  replace: boolean;
  /** Points per upsert request. */
  batchSize: number;
  /** Names the artifact in errors. */
  artifact: string;
}

/** What {@link importCollection} did. */
export interface ImportCollectionResult {
  /** Points upserted (the footer's count). */
  points: number;
  /** Whether an existing collection was deleted first. */
  replaced: boolean;
}

/**
 * Restores a portable export (`<collection>.ndjson`) onto any Qdrant version: checks the target
 * (`TARGET_NOT_EMPTY` unless `replace`), deletes an existing target, recreates it from the header's
 * config (`create_collection` `PUT /collections/{c}`, body from `createCollectionBody`), recreates
 * the payload indexes (`create_field_index` `PUT /collections/{c}/index?wait=true`), then upserts the
 * points in batches (`upsert_points` `PUT /collections/{c}/points?wait=true`, retried on transient
 * errors: upserts of explicit ids are idempotent). Lines are parsed and bodies written with
 * `lossless-json` (ids above 2^53 stay exact). Finally the exact count (`count_points`) must equal
 * the footer's count. On failure the target is left partially imported: rerun with `replace`.
 *
 * @throws BackupError `TARGET_NOT_EMPTY`, `RESTORE_FAILED` (malformed or truncated export, rejected
 *   request, count mismatch), the stream's `CHECKSUM_MISMATCH`/`DECRYPT_FAILED`, `ABORTED`.
 */
export async function importCollection(
  conn: QdrantConnection,
  plaintext: Readable,
  options: ImportCollectionOptions,
  ctx: EngineContext,
): Promise<ImportCollectionResult> {
  const { collection, artifact } = options;
  const fail = (why: string): never => {
    throw new BackupError('RESTORE_FAILED', `${artifact}: ${why}`);
  };
  const path = `/collections/${encodeURIComponent(collection)}`;
  const base = { signal: ctx.signal, logger: ctx.logger, code: 'RESTORE_FAILED' as const };
  let header: QdrantExportHeader | undefined;
  let footer: number | undefined;
  let points = 0;
  let replaced = false;
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await conn.requestJson('PUT', `${path}/points`, {
      ...base,
      retry: true,
      what: `Upserting ${batch.length} points into collection ${collection}`,
      query: { wait: true },
      body: { points: batch },
    });
    batch = [];
  };
  const lines = ndjsonLines(plaintext);
  try {
    for await (const { number, text } of lines) {
      let record: Record<string, unknown>;
      try {
        record = parse(text) as Record<string, unknown>;
      } catch (error) {
        return fail(`line ${number} is not JSON (${(error as Error).message})`);
      }
      if (footer !== undefined) fail(`line ${number}: data after the footer`);
      if (header === undefined) {
        if (record['type'] !== 'header' || record['format'] !== QDRANT_EXPORT_FORMAT) {
          fail(`line ${number} is not a ${QDRANT_EXPORT_FORMAT} header`);
        }
        const version = Number(record['formatVersion']);
        if (!(version >= 1 && version <= QDRANT_EXPORT_FORMAT_VERSION))
          fail(`unsupported formatVersion ${version}`);
        header = record as unknown as QdrantExportHeader;
        if (!header.config || typeof header.config !== 'object') fail('the header has no collection config');
        const target = await ensureTargetEmpty(conn, collection, options.replace, ctx);
        if (target.exists) {
          await conn.call((c) => c.deleteCollection(collection), {
            ...base,
            retry: true,
            what: `Deleting collection ${collection} before recreating it`,
          });
          replaced = true;
        }
        await conn.requestJson('PUT', path, {
          ...base,
          what: `Creating collection ${collection} (PUT ${path})`,
          body: createCollectionBody(header.config),
        });
        for (const [field, info] of Object.entries(header.payloadSchema ?? {})) {
          const index = info as { data_type?: unknown; params?: unknown };
          await conn.requestJson('PUT', `${path}/index`, {
            ...base,
            retry: true,
            what: `Creating the payload index ${field} of collection ${collection}`,
            query: { wait: true },
            body: {
              field_name: field,
              field_schema:
                index.params !== undefined && index.params !== null ? index.params : index.data_type,
            },
          });
        }
        continue;
      }
      if (record['type'] === 'footer') {
        await flush();
        footer = Number(record['points']);
        if (footer !== points) fail(`the footer counts ${footer} points, the file has ${points}`);
        continue;
      }
      if (record['type'] !== 'point') fail(`line ${number}: unknown record type ${String(record['type'])}`);
      if (record['id'] === undefined || record['id'] === null) fail(`line ${number}: point without id`);
      batch.push({ id: record['id'], vector: record['vector'] ?? {}, payload: record['payload'] ?? {} });
      points++;
      if (batch.length >= options.batchSize) await flush();
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError('RESTORE_FAILED', `${artifact}: ${(error as Error).message}`, { cause: error });
  }
  if (header === undefined) fail('empty export (no header line)');
  if (footer === undefined) fail(`no footer line: the export is truncated after ${points} points`);
  const { count } = await conn.call((c) => c.count(collection, { exact: true }), {
    ...base,
    retry: true,
    what: `Counting the points of collection ${collection}`,
  });
  if (count !== points) {
    throw new BackupError(
      'RESTORE_FAILED',
      `Collection ${collection} on ${conn.label} holds ${count} points after the import, the export has ${points}`,
    );
  }
  return { points, replaced };
}
