import { createHash } from 'node:crypto';
import {
  createTarWalker,
  normalizeTarPath,
  readTarEntry,
  type TarEntryHandler,
  walkTar,
} from './createTarWalker.js';
import {
  type CollectionSnapshotInspection,
  collectionSnapshotEntryHandler,
  emptyCollectionSnapshotInspection,
} from './inspectCollectionSnapshot.js';

/** One collection snapshot file inside a full snapshot. */
export interface FullSnapshotMember {
  /** Lowercase hex sha256 of the inner snapshot file (sent as `checksum` when it is restored). */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
  /** Its top-level layout, or why it is not a readable tar. */
  inspection?: CollectionSnapshotInspection | undefined;
  error?: string | undefined;
}

/** What a full storage snapshot holds (protocols.md §1.2, `lib/storage/src/content_manager/snapshots/mod.rs`). */
export interface FullSnapshotInspection {
  /** `config.json` `collections_mapping`: collection -> snapshot file name. */
  mapping?: Record<string, string> | undefined;
  /** `config.json` `collections_aliases`: alias -> collection. */
  aliases?: Record<string, string> | undefined;
  /** Why `config.json` is unusable, when it is. */
  configError?: string | undefined;
  /** Every `*.snapshot` member by path. */
  members: Map<string, FullSnapshotMember>;
  /** Other entries (neither config.json nor a snapshot). */
  others: string[];
}

/** A fresh, empty {@link FullSnapshotInspection}. */
export function emptyFullSnapshotInspection(): FullSnapshotInspection {
  return { members: new Map(), others: [] };
}

/**
 * The tar entry handler that fills `result` while a full snapshot streams by: it parses
 * `config.json`, and for each inner collection snapshot computes its sha256 and size and inspects
 * its layout (nested streaming tar parse; nothing is buffered). Inner errors are recorded, not
 * thrown: `checkFullSnapshot` reports them.
 */
export function fullSnapshotEntryHandler(result: FullSnapshotInspection): TarEntryHandler {
  return async (header, body) => {
    const path = normalizeTarPath(header.name);
    if (path === 'config.json') {
      const text = (await readTarEntry(body, 16 << 20, 'config.json')).toString('utf8');
      try {
        const config = JSON.parse(text) as { collections_mapping?: unknown; collections_aliases?: unknown };
        result.mapping = stringRecord(config.collections_mapping);
        result.aliases = stringRecord(config.collections_aliases) ?? {};
        if (result.mapping === undefined) result.configError = 'config.json has no collections_mapping';
      } catch (error) {
        result.configError = `config.json is not JSON (${(error as Error).message})`;
      }
      return;
    }
    if (!path.endsWith('.snapshot') || header.type === 'directory') {
      if (path !== '' && path !== '.') result.others.push(path);
      for await (const _ of body) {
        /* drain */
      }
      return;
    }
    const hash = createHash('sha256');
    const inspection = emptyCollectionSnapshotInspection();
    const inner = createTarWalker(collectionSnapshotEntryHandler(inspection));
    const member: FullSnapshotMember = { sha256: '', bytes: 0 };
    for await (const chunk of body) {
      hash.update(chunk);
      member.bytes += chunk.length;
      if (member.error !== undefined) continue;
      try {
        await inner.write(chunk);
      } catch (error) {
        member.error = (error as Error).message;
      }
    }
    if (member.error === undefined) {
      try {
        await inner.end();
        member.inspection = inspection;
      } catch (error) {
        member.error = (error as Error).message;
      }
    }
    member.sha256 = hash.digest('hex');
    result.members.set(path, member);
  };
}

/** Reads a whole full snapshot from `source` and returns its inspection (see the handler). */
export async function inspectFullSnapshot(
  source: AsyncIterable<Uint8Array>,
): Promise<FullSnapshotInspection> {
  const result = emptyFullSnapshotInspection();
  await walkTar(source, fullSnapshotEntryHandler(result));
  return result;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, member] of Object.entries(value)) {
    if (typeof member !== 'string') return undefined;
    out[key] = member;
  }
  return out;
}
