import { Readable } from 'node:stream';
import { BackupError, type EngineContext } from '@backup/core';
import { stringify } from 'lossless-json';
import {
  QDRANT_EXPORT_FORMAT,
  QDRANT_EXPORT_FORMAT_VERSION,
  type QdrantExportFooter,
  type QdrantExportHeader,
} from './exportFormat.js';
import type { QdrantConnection } from './QdrantConnection.js';

/** Options of {@link exportCollection}. */
export interface ExportCollectionOptions {
  /** Points per scroll page (`ScrollRequest.limit`). */
  batchSize: number;
  /** Version of the source server, recorded in the header. */
  qdrantVersion: string;
}

/** A running export: the NDJSON stream and its counters (final once the stream ended). */
export interface CollectionExport {
  /** UTF-8 NDJSON; errors (never ends) when a request fails. */
  stream: Readable;
  /** Point lines written so far. */
  readonly points: number;
}

/**
 * Streams a collection as portable NDJSON (docs/format.md, "Qdrant"; protocols.md §1.4): a header
 * with the collection config and payload indexes (`get_collection` `GET /collections/{c}`), then
 * every point with payload and ALL vectors, page by page (`scroll_points`
 * `POST /collections/{c}/points/scroll` with `with_payload: true, with_vector: true`,
 * `next_page_offset` fed back as `offset` until `null`), then a footer with the count. Requests and
 * answers are parsed and written with `lossless-json`: ids above 2^53 and numbers like `1.0` keep
 * their exact text. Pages are requested only as fast as the consumer reads (back pressure); each
 * page request is retried on transient errors (reads are idempotent).
 *
 * Not a point-in-time copy: points written during the export may or may not appear. Collections
 * with custom sharding are refused (`CONFIG_INVALID`: use mode `snapshot`).
 */
export function exportCollection(
  conn: QdrantConnection,
  collection: string,
  options: ExportCollectionOptions,
  ctx: EngineContext,
): CollectionExport {
  const state = { points: 0 };
  const base = { signal: ctx.signal, logger: ctx.logger, retry: true };
  const path = `/collections/${encodeURIComponent(collection)}`;
  async function* lines(): AsyncGenerator<string> {
    const info = (await conn.requestJson('GET', path, {
      ...base,
      what: `Reading collection ${collection} (GET ${path})`,
    })) as {
      config?: Record<string, unknown>;
      payload_schema?: Record<string, unknown>;
      points_count?: unknown;
    };
    const config = info?.config;
    if (!config || typeof config !== 'object') {
      throw new BackupError('SOURCE_FAILED', `Collection ${collection} on ${conn.label} returned no config`);
    }
    const params = config['params'] as { sharding_method?: unknown } | undefined;
    if (params?.sharding_method === 'custom') {
      throw new BackupError(
        'CONFIG_INVALID',
        `Collection ${collection} uses custom sharding, which mode export does not support: use mode snapshot`,
      );
    }
    const header: QdrantExportHeader = {
      type: 'header',
      format: QDRANT_EXPORT_FORMAT,
      formatVersion: QDRANT_EXPORT_FORMAT_VERSION,
      collection,
      qdrantVersion: options.qdrantVersion,
      createdAt: new Date().toISOString(),
      config,
      payloadSchema: info.payload_schema ?? {},
      pointsCount: info.points_count ?? null,
    };
    yield `${stringify(header)}\n`;
    let offset: unknown;
    let previous: string | undefined;
    for (;;) {
      const page = (await conn.requestJson('POST', `${path}/points/scroll`, {
        ...base,
        what: `Scrolling collection ${collection}`,
        body: {
          limit: options.batchSize,
          with_payload: true,
          with_vector: true,
          ...(offset === undefined ? {} : { offset }),
        },
      })) as { points?: { id: unknown; vector?: unknown; payload?: unknown }[]; next_page_offset?: unknown };
      if (!page || !Array.isArray(page.points)) {
        throw new BackupError(
          'SOURCE_FAILED',
          `Scrolling collection ${collection} on ${conn.label}: no points array`,
        );
      }
      let chunk = '';
      for (const point of page.points) {
        chunk += `${stringify({ type: 'point', id: point.id, vector: point.vector ?? {}, payload: point.payload ?? {} })}\n`;
        state.points++;
      }
      if (chunk !== '') yield chunk;
      offset = page.next_page_offset;
      if (offset === null || offset === undefined) break;
      const key = stringify(offset);
      if (key === previous) {
        throw new BackupError(
          'SOURCE_FAILED',
          `Scrolling collection ${collection}: next_page_offset ${key} repeats`,
        );
      }
      previous = key;
    }
    const footer: QdrantExportFooter = { type: 'footer', points: state.points };
    yield `${stringify(footer)}\n`;
  }
  return {
    stream: Readable.from(lines(), { objectMode: false }),
    get points() {
      return state.points;
    },
  };
}
