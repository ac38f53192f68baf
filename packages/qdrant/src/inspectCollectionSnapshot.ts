import { normalizeTarPath, readTarEntry, type TarEntryHandler, walkTar } from './createTarWalker.js';

/** What the top level of a collection snapshot tar holds (see `checkCollectionSnapshot`). */
export interface CollectionSnapshotInspection {
  /** Number of tar entries. */
  entries: number;
  /** Parsed `config.json` (the collection config), when present and valid JSON. */
  config: unknown;
  /** Why `config.json` could not be parsed, when it could not. */
  configError?: string | undefined;
  /** Top-level files and directories (`config.json`, `version.info`, `0`...). */
  topLevel: Set<string>;
  /** Shard ids: numeric top-level directories. */
  shardIds: Set<number>;
  /** Content of `version.info`, trimmed. */
  version?: string | undefined;
}

const MAX_CONFIG_BYTES = 16 << 20;

/** A fresh, empty {@link CollectionSnapshotInspection}. */
export function emptyCollectionSnapshotInspection(): CollectionSnapshotInspection {
  return { entries: 0, config: undefined, topLevel: new Set(), shardIds: new Set() };
}

/**
 * The tar entry handler that fills `inspection` with the top-level layout of a collection snapshot
 * (protocols.md §1.2; `qdrant/qdrant:lib/collection/src/collection/snapshots.rs`): `config.json`,
 * `version.info`, `shard_key_mapping.json`, `payload_index.json` and one directory per shard
 * (`0/`, `1/`...). Only `config.json` and `version.info` are held in memory.
 */
export function collectionSnapshotEntryHandler(inspection: CollectionSnapshotInspection): TarEntryHandler {
  return async (header, body) => {
    inspection.entries++;
    const path = normalizeTarPath(header.name);
    const top = path.split('/')[0] ?? '';
    if (top !== '' && top !== '.') inspection.topLevel.add(top);
    if (/^\d+$/.test(top) && (path.includes('/') || header.type === 'directory')) {
      inspection.shardIds.add(Number(top));
    }
    if (path === 'config.json' && header.type !== 'directory') {
      const bytes = await readTarEntry(body, MAX_CONFIG_BYTES, 'config.json');
      try {
        inspection.config = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        inspection.configError = (error as Error).message;
      }
      return;
    }
    if (path === 'version.info') {
      inspection.version = (await readTarEntry(body, 4096, 'version.info')).toString('utf8').trim();
      return;
    }
    for await (const _ of body) {
      /* drain */
    }
  };
}

/**
 * Reads a collection snapshot tar to its end and reports its top-level layout (see
 * {@link collectionSnapshotEntryHandler}). Rejects when the source errors or the archive is not a
 * readable tar (truncated, garbage).
 */
export async function inspectCollectionSnapshot(
  source: AsyncIterable<Uint8Array>,
): Promise<CollectionSnapshotInspection> {
  const inspection = emptyCollectionSnapshotInspection();
  await walkTar(source, collectionSnapshotEntryHandler(inspection));
  return inspection;
}
