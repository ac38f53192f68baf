import type { ObjectInfo, StorageBackend } from '@backup/core';
import { parseWalFile, type WalFileName } from './walFileKind.js';
import { walPrefix } from './walKeys.js';

/** The stored objects of one archived WAL file name. */
export interface ArchivedWalFile {
  file: WalFileName;
  /** The committing sidecar (`<name>.json`), when the push committed. */
  sidecar: ObjectInfo | undefined;
  /** Data objects (`<name>.<sha16><suffixes>`): normally one; more after a refused conflicting push. */
  objects: ObjectInfo[];
}

const SIDECAR = /^(.+)\.json$/;
const OBJECT = /^(.+)\.[0-9a-f]{16}(?:\.zst|\.gz)?(?:\.age)?$/;

/**
 * Lists a job's archive (`<job>/wal/<timeline>/...`) grouped by WAL file name, sorted by name (code
 * point order). Keys that are not a WAL sidecar or data object (hidden temp files, other
 * tools' files) are ignored.
 * @throws BackupError `STORAGE_UNREACHABLE` from the backend.
 */
export async function listArchivedWal(storage: StorageBackend, job: string): Promise<ArchivedWalFile[]> {
  const prefix = walPrefix(job);
  const byName = new Map<string, ArchivedWalFile>();
  for await (const object of storage.list(prefix)) {
    const parts = object.key.slice(prefix.length).split('/');
    if (parts.length !== 2) continue;
    const [dir, base] = parts as [string, string];
    const sidecar = SIDECAR.exec(base);
    const data = sidecar ? undefined : OBJECT.exec(base);
    const file = parseWalFile((sidecar ?? data)?.[1] ?? '');
    if (!file || file.timelineHex !== dir) continue;
    let entry = byName.get(file.name);
    if (!entry) {
      entry = { file, sidecar: undefined, objects: [] };
      byName.set(file.name, entry);
    }
    if (sidecar) entry.sidecar = object;
    else entry.objects.push(object);
  }
  return [...byName.values()].sort((a, b) =>
    a.file.name < b.file.name ? -1 : a.file.name > b.file.name ? 1 : 0,
  );
}
