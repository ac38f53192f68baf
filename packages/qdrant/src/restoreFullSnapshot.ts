import type { Readable } from 'node:stream';
import { BackupError, type EngineContext, type RestoreResult, type UnitRecord } from '@backup/core';
import type { Schemas } from '@qdrant/js-client-rest';
import type { FullSnapshotCollection } from './checkFullSnapshot.js';
import { normalizeTarPath, walkTar } from './createTarWalker.js';
import { ensureTargetEmpty } from './ensureTargetEmpty.js';
import { prepareSnapshotTarget } from './prepareSnapshotTarget.js';
import type { QdrantConnection } from './QdrantConnection.js';
import { uploadSnapshot } from './uploadSnapshot.js';

/**
 * Restores a full storage snapshot through the API, on a running node: Qdrant itself restores full
 * snapshots only at startup (`--storage-snapshot`, protocols.md §1.2), so each collection snapshot
 * inside `storage.snapshot` is streamed straight out of the tar into `uploadSnapshot` (with the
 * sha256 recorded at backup as `checksum`), then the aliases are recreated (`update_aliases`
 * `POST /collections/aliases`, `create_alias` overwrites). Everything is checked first: an alias
 * pointing elsewhere fails with `TARGET_NOT_EMPTY` unless `replace`; each collection is prepared by
 * `prepareSnapshotTarget` (`TARGET_NOT_EMPTY` when it holds points, unless `replace`).
 * Result metadata: `collections` (name -> exact points count), `aliases`.
 *
 * @throws BackupError `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `CHECKSUM_MISMATCH`, `ABORTED`.
 */
export async function restoreFullSnapshot(
  input: { unit: UnitRecord; conn: QdrantConnection; replace: boolean; open(): Promise<Readable> },
  ctx: EngineContext,
): Promise<RestoreResult> {
  const { conn, unit } = input;
  const collections = unit.metadata['collections'] as Record<string, FullSnapshotCollection> | undefined;
  const aliases = (unit.metadata['aliases'] ?? {}) as Record<string, string>;
  if (!collections || typeof collections !== 'object') {
    throw new BackupError(
      'RESTORE_FAILED',
      `Unit ${unit.name} records no collections: the set is not a full snapshot`,
    );
  }
  const base = { signal: ctx.signal, logger: ctx.logger, code: 'RESTORE_FAILED' as const };
  // Check everything before changing anything.
  for (const name of Object.keys(collections)) await ensureTargetEmpty(conn, name, input.replace, ctx);
  const existing: Schemas['CollectionsAliasesResponse'] = await conn.call((c) => c.getAliases(), {
    ...base,
    retry: true,
    what: 'Listing aliases (GET /aliases)',
  });
  const current = new Map(existing.aliases.map((a) => [a.alias_name, a.collection_name]));
  for (const [alias, collection] of Object.entries(aliases)) {
    const now = current.get(alias);
    if (now !== undefined && now !== collection && !input.replace) {
      throw new BackupError(
        'TARGET_NOT_EMPTY',
        `Alias ${alias} on ${conn.label} points to ${now}, the backup to ${collection}; set replace: true to repoint it`,
      );
    }
  }
  for (const [name, c] of Object.entries(collections)) {
    await prepareSnapshotTarget(
      conn,
      name,
      { vectors: c.vectors, shardNumber: c.shardNumber },
      input.replace,
      ctx,
    );
  }
  const byFile = new Map(Object.entries(collections).map(([name, c]) => [c.file, { name, ...c }]));
  const restored = new Set<string>();
  const source = await input.open();
  await walkTar(source, async (header, body) => {
    const member = byFile.get(normalizeTarPath(header.name));
    if (!member) {
      for await (const _ of body) {
        /* config.json and anything else */
      }
      return;
    }
    await uploadSnapshot(
      conn,
      {
        collection: member.name,
        source: body,
        size: header.size ?? member.bytes,
        checksum: member.sha256,
        filename: member.file,
      },
      ctx,
    );
    restored.add(member.name);
  });
  const missing = Object.keys(collections).filter((c) => !restored.has(c));
  if (missing.length > 0) {
    throw new BackupError(
      'RESTORE_FAILED',
      `The full snapshot has no snapshot for collections ${missing.join(', ')}`,
    );
  }
  const actions: Schemas['AliasOperations'][] = [];
  for (const [alias, collection] of Object.entries(aliases)) {
    // create_alias overwrites an existing alias (alias_mapping.rs `insert`)
    actions.push({ create_alias: { alias_name: alias, collection_name: collection } });
  }
  if (actions.length > 0) {
    await conn.call((c) => c.updateCollectionAliases({ actions }), {
      ...base,
      what: 'Recreating aliases (POST /collections/aliases)',
    });
  }
  const counts: Record<string, number> = {};
  for (const name of Object.keys(collections)) {
    counts[name] = (
      await conn.call((c) => c.count(name, { exact: true }), {
        ...base,
        retry: true,
        what: `Counting ${name}`,
      })
    ).count;
  }
  return { unit: unit.name, target: conn.label, metadata: { collections: counts, aliases } };
}
