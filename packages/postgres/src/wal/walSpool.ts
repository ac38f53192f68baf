// Node built-ins only: this module is also the `@backup/postgres/wal-spool` entry that `backup
// wal-push` loads before anything else, so a segment pushed ahead answers in a few tens of ms.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A spool marker: the record, kept next to the server's WAL, that one WAL file was durably archived
 * ahead of PostgreSQL's `archive_command` call for it (look-ahead push, as WAL-G's
 * `pg_wal/walg_data/walg_archive_status/` and pgBackRest's `<spool-path>/archive/<stanza>/out/*.ok`
 * files do). Unlike those, it proves the content: PostgreSQL's later call for the file succeeds
 * from the marker only when the file it passes hashes to `plaintextSha256` and `target` is the
 * repository fingerprint of that call ({@link readSpoolMarker}, {@link markerProves}).
 */
export interface WalSpoolMarker {
  formatVersion: 1;
  /** WAL file name (`000000010000000000000002`). */
  name: string;
  /** sha256 (hex) of the archived plaintext: the bytes read from the file when it was pushed. */
  plaintextSha256: string;
  /** Size of the file in bytes. */
  plaintextBytes: number;
  /**
   * Fingerprint (opaque string, compared for equality) of the repository and job the file was
   * stored into; a call with another config, environment or `--job` does not trust the marker.
   */
  target: string;
  /** Key of the committed sidecar (`<job>/wal/<timeline>/<name>.json`), for diagnostics. */
  sidecarKey: string;
  /** ISO 8601 time the sidecar commit returned. */
  archivedAt: string;
}

/** Default spool directory of a WAL file path (`%p`): `pg_wal/backup_wal_push/` next to it. */
export function defaultWalSpoolDir(walPath: string): string {
  return join(dirname(walPath), 'backup_wal_push');
}

/**
 * PostgreSQL's archive status directory for a WAL file path (`%p` is `pg_wal/<name>`, so
 * `pg_wal/archive_status/`, where the server puts `<name>.ready` for every file waiting to be
 * archived and renames it to `<name>.done` after archive_command exited 0; PG15
 * `src/backend/access/transam/xlogarchive.c` `XLogArchiveNotify`).
 */
export function archiveStatusDir(walPath: string): string {
  return join(dirname(walPath), 'archive_status');
}

const MARKER_SUFFIX = '.pushed';
const NAME = /^[0-9A-F]{8}([0-9A-F]{16}(\.partial|\.[0-9A-F]{8}\.backup)?|\.history)$/;

/** sha256 (hex) of a file's bytes, with its size. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const data = await readFile(path);
  return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

/**
 * Reads the marker of WAL file `name` in `spoolDir`; `undefined` when there is none or it is not
 * a well-formed marker of that name (a torn or foreign file is ignored, never trusted).
 */
export async function readSpoolMarker(spoolDir: string, name: string): Promise<WalSpoolMarker | undefined> {
  if (!NAME.test(name)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(spoolDir, name + MARKER_SUFFIX), 'utf8'));
  } catch {
    return undefined;
  }
  const m = parsed as Partial<WalSpoolMarker> | null;
  if (
    m?.formatVersion !== 1 ||
    m.name !== name ||
    typeof m.plaintextSha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(m.plaintextSha256) ||
    typeof m.plaintextBytes !== 'number' ||
    typeof m.target !== 'string' ||
    typeof m.sidecarKey !== 'string' ||
    typeof m.archivedAt !== 'string'
  ) {
    return undefined;
  }
  return m as WalSpoolMarker;
}

/**
 * Whether `marker` proves that the file at `walPath` is archived in the repository `target`
 * names: same file name, same fingerprint, and the file's current bytes have the recorded size
 * and sha256. Reads and hashes the file (16 MiB: about 30-60 ms). A marker left by another cluster
 * or timeline, by a file that was rewritten, or by a push into another repository proves nothing.
 */
export async function markerProves(
  marker: WalSpoolMarker,
  walPath: string,
  target: string,
): Promise<boolean> {
  if (marker.name !== basename(walPath) || marker.target !== target) return false;
  const { sha256, bytes } = await hashFile(walPath);
  return bytes === marker.plaintextBytes && sha256 === marker.plaintextSha256;
}

/**
 * Writes the marker of a file that was just durably archived (after its sidecar commit returned):
 * a temporary file renamed into place, so a reader sees a whole marker or none. Creates `spoolDir`
 * (mode 0700) when missing. A lost marker only costs a second, idempotent push.
 */
export async function writeSpoolMarker(spoolDir: string, marker: WalSpoolMarker): Promise<void> {
  await mkdir(spoolDir, { recursive: true, mode: 0o700 });
  const final = join(spoolDir, marker.name + MARKER_SUFFIX);
  const temp = `${final}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${JSON.stringify(marker)}\n`, { mode: 0o600 });
  await rename(temp, final);
}

/** Removes the marker of `name` (and nothing else); no error when there is none. */
export async function removeSpoolMarker(spoolDir: string, name: string): Promise<void> {
  if (!NAME.test(name)) return;
  await rm(join(spoolDir, name + MARKER_SUFFIX), { force: true });
}

/**
 * The WAL files waiting to be archived: the names of `<archiveStatusDir>/*.ready` that are WAL file
 * names, in the order PostgreSQL's archiver takes them (PG15 `pgarch_readyXlog`: timeline history
 * files first, then the oldest), i.e. `.history` first, then by name. `[]` when the directory
 * cannot be read (an `archive_command` run by hand outside a data directory).
 */
export async function listReadyWalFiles(statusDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(statusDir);
  } catch {
    return [];
  }
  const names = entries
    .filter((e) => e.endsWith('.ready'))
    .map((e) => e.slice(0, -'.ready'.length))
    .filter((n) => NAME.test(n));
  const history = (n: string) => (n.endsWith('.history') ? 0 : 1);
  return names.sort((a, b) => history(a) - history(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Removes the markers of files PostgreSQL no longer waits for (no `<name>.ready` in
 * `statusDir`): files archived since, by this tool or another `archive_command`, or recycled.
 * Temporary files of interrupted marker writes go too. Returns the names whose markers were removed.
 */
export async function pruneSpoolMarkers(spoolDir: string, statusDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(spoolDir);
  } catch {
    return [];
  }
  const ready = new Set(await listReadyWalFiles(statusDir));
  const removed: string[] = [];
  for (const entry of entries) {
    const name = entry.endsWith(MARKER_SUFFIX) ? entry.slice(0, -MARKER_SUFFIX.length) : undefined;
    const stale = name !== undefined ? !ready.has(name) : entry.includes(`${MARKER_SUFFIX}.tmp-`);
    if (!stale) continue;
    await rm(join(spoolDir, entry), { force: true });
    if (name !== undefined) removed.push(name);
  }
  return removed;
}

/** Names of the WAL files that have a marker in `spoolDir` (`[]` when it cannot be read). */
export async function listSpoolMarkers(spoolDir: string): Promise<string[]> {
  try {
    return (await readdir(spoolDir))
      .filter((e) => e.endsWith(MARKER_SUFFIX))
      .map((e) => e.slice(0, -MARKER_SUFFIX.length));
  } catch {
    return [];
  }
}

/** Age after which a helper lock is stale whatever its pid: 15 minutes. */
export const HELPER_LOCK_STALE_MS = 15 * 60_000;

/** The archive helper's lock file in `spoolDir`: `helper.pid`, the helper's process id. */
export function helperLockPath(spoolDir: string): string {
  return join(spoolDir, 'helper.pid');
}

/** The pid in the helper lock when that process is alive (signal 0 succeeds or is refused). */
export async function liveHelperPid(spoolDir: string): Promise<number | undefined> {
  return (await liveHelper(spoolDir))?.pid;
}

/**
 * The helper holding the lock in `spoolDir` when it is alive: its pid (first line of
 * `helper.pid`) and the repository fingerprint it pushes for (second line; `''` when absent).
 * A lock older than {@link HELPER_LOCK_STALE_MS} is stale even if its pid was reused.
 */
export async function liveHelper(spoolDir: string): Promise<{ pid: number; target: string } | undefined> {
  let pid: number;
  let target: string;
  try {
    const path = helperLockPath(spoolDir);
    if (Date.now() - (await stat(path)).mtimeMs > HELPER_LOCK_STALE_MS) return undefined;
    const [first = '', second = ''] = (await readFile(path, 'utf8')).split('\n');
    pid = Number.parseInt(first, 10);
    target = second;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return { pid, target };
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? { pid, target } : undefined;
  }
}

/**
 * Takes the helper lock for `pid` (default this process), pushing for the repository fingerprint
 * `target` (recorded for {@link liveHelper}): creates `helper.pid` exclusively, or
 * adopts it when it already holds `pid` (the process that spawned the helper writes the child's
 * pid right away, so the next call sees a live helper before the child has loaded), or replaces it
 * when its process is gone. `false` when another live process holds it.
 */
export async function acquireHelperLock(spoolDir: string, pid = process.pid, target = ''): Promise<boolean> {
  await mkdir(spoolDir, { recursive: true, mode: 0o700 });
  const path = helperLockPath(spoolDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, `${pid}\n${target}\n`, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await liveHelperPid(spoolDir);
    if (holder === pid) return true;
    if (holder !== undefined) return false;
    await rm(path, { force: true });
  }
  return false;
}

/** Removes the helper lock if it holds `pid` (default this process). */
export async function releaseHelperLock(spoolDir: string, pid = process.pid): Promise<void> {
  const path = helperLockPath(spoolDir);
  const content = await readFile(path, 'utf8').catch(() => '');
  if (Number.parseInt(content.split('\n')[0] ?? '', 10) === pid) await rm(path, { force: true });
}

/**
 * Waits for the marker of the file at `walPath` to appear and prove it (`markerProves`) while a
 * helper pushing for `target` is alive in `spoolDir`, polling every 20 ms, for at most
 * `timeoutMs`. `true` once proven; `false` when there is no such helper (none, or one pushing for
 * another fingerprint), it exited without a proving marker, or the time is up.
 */
export async function waitForMarker(
  spoolDir: string,
  walPath: string,
  target: string,
  timeoutMs: number,
): Promise<boolean> {
  const name = basename(walPath);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = (await liveHelper(spoolDir))?.target === target;
    const marker = await readSpoolMarker(spoolDir, name);
    if (marker) return markerProves(marker, walPath, target);
    if (!alive || Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
