import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage, isBackupError, S3Storage } from '@backup/core';
import { freePort, type PostgresServer, startPostgres } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireHelperLock,
  drainReadyWalFiles,
  fetchWalFile,
  helperLockPath,
  listArchivedWal,
  listReadyWalFiles,
  liveHelperPid,
  markerProves,
  pushWalFile,
  pushWalFiles,
  readSpoolMarker,
  readWalSidecar,
  releaseHelperLock,
  walSidecarKey,
  writeSpoolMarker,
} from '../src/index.js';
import { parseWalFile } from '../src/wal/walFileKind.js';

// Look-ahead archiving (pushWalFiles) and its spool markers, with real segments of a real cluster
// laid out as in a data directory: pg_wal/<segment> and pg_wal/archive_status/<segment>.ready.

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const zstd = { algorithm: 'zstd' as const, level: 3 };
const TARGET = 'v1:test-repository';

describe('pushWalFiles: parallel push of ready segments with spool markers', () => {
  let pg: PostgresServer;
  let work: string;
  let walDir: string;
  let statusDir: string;
  let spoolDir: string;
  let storage: FsStorage;
  let names: string[];

  beforeAll(async () => {
    pg = await startPostgres();
    work = await mkdtemp(join(tmpdir(), 'wal-lookahead-'));
    walDir = join(work, 'pg_wal');
    statusDir = join(walDir, 'archive_status');
    spoolDir = join(walDir, 'backup_wal_push');
    await mkdir(statusDir, { recursive: true });
    storage = new FsStorage({ path: join(work, 'repo') });
    await pg.query('create table t (id int, v text)');
    names = [];
    for (let i = 0; i < 6; i++) {
      await pg.query(`insert into t select g, md5(g::text) from generate_series(1, ${3000 + i}) g`);
      const [row] = await pg.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
      await copyFile(join(pg.dataDir, 'pg_wal', row!.name), join(walDir, row!.name));
      await writeFile(join(statusDir, `${row!.name}.ready`), '');
      names.push(row!.name);
    }
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** What PostgreSQL does after archive_command exited 0. */
  const markDone = (name: string) =>
    rename(join(statusDir, `${name}.ready`), join(statusDir, `${name}.done`));
  const archived = async () => (await listArchivedWal(storage, 'pg')).map((e) => e.file.name);

  it('lists .ready files as the archiver takes them: history files first, then by name', async () => {
    await writeFile(join(statusDir, '00000002.history.ready'), '');
    await writeFile(join(statusDir, 'not-a-wal-file.ready'), '');
    try {
      expect(await listReadyWalFiles(statusDir)).toEqual(['00000002.history', ...names]);
    } finally {
      await rm(join(statusDir, '00000002.history.ready'));
      await rm(join(statusDir, 'not-a-wal-file.ready'));
    }
    expect(await listReadyWalFiles(join(work, 'no-such-dir'))).toEqual([]);
  });

  it('pushes the requested segment plus the oldest other ready ones, and records each pushed ahead in a marker', async () => {
    const result = await pushWalFiles({
      storage,
      job: 'pg',
      path: join(walDir, names[0]!),
      compression: zstd,
      ahead: 2,
      target: TARGET,
    });
    expect(result.requested).toMatchObject({ name: names[0], status: 'stored' });
    expect(result.ahead.map((r) => r.name).sort()).toEqual([names[1], names[2]]);
    expect(result.aheadFailed).toEqual([]);
    expect((await archived()).sort()).toEqual(names.slice(0, 3));
    for (const name of names.slice(1, 3)) {
      const marker = await readSpoolMarker(spoolDir, name);
      const data = await readFile(join(walDir, name));
      expect(marker).toMatchObject({
        name,
        plaintextSha256: sha256(data),
        plaintextBytes: data.length,
        target: TARGET,
        sidecarKey: walSidecarKey('pg', parseWalFile(name)!),
      });
      // The marker records exactly what the committed sidecar says.
      const sidecar = await readWalSidecar(storage, marker!.sidecarKey);
      expect(sidecar!.plaintextSha256).toBe(marker!.plaintextSha256);
      expect(await markerProves(marker!, join(walDir, name), TARGET)).toBe(true);
      expect(await markerProves(marker!, join(walDir, name), 'v1:another-repository')).toBe(false);
    }
    expect(await readSpoolMarker(spoolDir, names[0]!)).toBeUndefined();
  });

  it('does not push again what a marker of the same target covers, and removes markers no longer .ready', async () => {
    await markDone(names[0]!);
    // PostgreSQL's call for names[1]: the CLI answers it from the marker; the archiver marks it done.
    await markDone(names[1]!);
    const result = await pushWalFiles({
      storage,
      job: 'pg',
      path: join(walDir, names[2]!),
      compression: zstd,
      ahead: 2,
      target: TARGET,
    });
    // names[2] itself: pushed before, so already archived; ahead: 3 and 4 (not 1, which is done).
    expect(result.requested.status).toBe('already-archived');
    expect(result.ahead.map((r) => r.name).sort()).toEqual([names[3], names[4]]);
    expect(await readSpoolMarker(spoolDir, names[1]!)).toBeUndefined();
    expect(await readSpoolMarker(spoolDir, names[2]!)).toBeUndefined();
    expect((await readdir(spoolDir)).sort()).toEqual([`${names[3]}.pushed`, `${names[4]}.pushed`]);
    await markDone(names[2]!);
  });

  it('a marker proves nothing for a file with other contents (another cluster or timeline, a rewritten file)', async () => {
    const name = names[3]!;
    const marker = (await readSpoolMarker(spoolDir, name))!;
    const path = join(walDir, name);
    const original = await readFile(path);
    const forged = Buffer.from(original);
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 0xff;
    await writeFile(path, forged);
    try {
      expect(await markerProves(marker, path, TARGET)).toBe(false);
      // The full push then refuses it: different contents under an archived name.
      const error = await pushWalFile({ storage, job: 'pg', path, compression: zstd }).catch(
        (e: unknown) => e,
      );
      expect(isBackupError(error, 'STORAGE_CONFLICT')).toBe(true);
    } finally {
      await writeFile(path, original);
    }
    expect(await markerProves(marker, path, TARGET)).toBe(true);
    // A torn marker is ignored.
    await writeFile(join(spoolDir, `${names[4]}.pushed`), '{"formatVersion":1,"name":');
    expect(await readSpoolMarker(spoolDir, names[4]!)).toBeUndefined();
  });

  it('reports the requested file alone: a failed push ahead leaves no marker and does not fail the call', async () => {
    // names[4]'s marker is torn (above), so it is pushed again; a ready file without its segment
    // (removed by hand) fails, and one archived with other contents conflicts.
    await writeFile(join(statusDir, '000000010000000000000F00.ready'), '');
    const conflictName = names[5]!;
    const conflictPath = join(walDir, conflictName);
    const original = await readFile(conflictPath);
    const other = join(work, conflictName);
    await writeFile(other, Buffer.alloc(original.length, 7));
    await pushWalFile({ storage, job: 'pg', path: other, compression: zstd });
    try {
      const result = await pushWalFiles({
        storage,
        job: 'pg',
        path: join(walDir, names[3]!),
        compression: zstd,
        parallel: 2,
        ahead: 3,
        target: TARGET,
      });
      expect(result.requested).toMatchObject({ name: names[3], status: 'already-archived' });
      expect(result.ahead.map((r) => r.name)).toEqual([names[4]]);
      expect(result.aheadFailed.map((f) => [f.name, f.code]).sort()).toEqual(
        [
          ['000000010000000000000F00', 'SOURCE_FAILED'],
          [conflictName, 'STORAGE_CONFLICT'],
        ].sort(),
      );
      expect(await readSpoolMarker(spoolDir, conflictName)).toBeUndefined();
      expect(await readSpoolMarker(spoolDir, '000000010000000000000F00')).toBeUndefined();
      expect(await readSpoolMarker(spoolDir, names[4]!)).toMatchObject({ name: names[4] });
    } finally {
      await rm(join(statusDir, '000000010000000000000F00.ready'));
    }
  });

  it('fails with the requested file even while pushes ahead succeed', async () => {
    const missing = join(walDir, '000000010000000000000F01');
    const error = await pushWalFiles({
      storage,
      job: 'pg2',
      path: missing,
      compression: zstd,
      ahead: 1,
      target: TARGET,
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    // The push ahead (the oldest ready file) still completed and was recorded.
    expect((await listArchivedWal(storage, 'pg2')).map((e) => e.file.name)).toEqual([names[3]]);
  });

  it('rejects a parallel count outside 1..16 and a look-ahead outside 0..64, naming the field', async () => {
    const bad: Array<[string, { parallel?: number; ahead?: number }]> = [
      ...[0, 17, 1.5, Number.NaN].map(
        (parallel) => ['parallel', { parallel }] as [string, { parallel: number }],
      ),
      ...[-1, 65, 0.5].map((ahead) => ['ahead', { ahead }] as [string, { ahead: number }]),
    ];
    for (const [field, extra] of bad) {
      const error = await pushWalFiles({
        storage,
        job: 'pg',
        path: join(walDir, names[3]!),
        compression: zstd,
        target: TARGET,
        ...extra,
      }).catch((e: unknown) => e);
      expect(isBackupError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain(field);
    }
  });

  it('drains the ready files as the archive helper: one helper at a time, markers for each, exits when idle', async () => {
    const dir = join(work, 'spool-helper');
    // A live process (this one's parent) holds the lock: the helper does nothing.
    expect(await acquireHelperLock(dir, process.ppid)).toBe(true);
    expect(await liveHelperPid(dir)).toBe(process.ppid);
    const busy = await drainReadyWalFiles({
      storage,
      job: 'pg3',
      path: join(walDir, names[3]!),
      compression: zstd,
      spoolDir: dir,
      target: TARGET,
    });
    expect(busy).toEqual({ status: 'already-running', pushed: 0 });
    await releaseHelperLock(dir, process.ppid);
    // A lock left by a dead process is taken over.
    await writeFile(helperLockPath(dir), '999999999\n');
    const started = Date.now();
    const drained = await drainReadyWalFiles({
      storage,
      job: 'pg3',
      path: join(walDir, names[3]!),
      compression: zstd,
      spoolDir: dir,
      target: TARGET,
      parallel: 2,
      idleMs: 200,
    });
    // names[3] is the caller's own file; names[4] and names[5] are still ready.
    expect(drained).toEqual({ status: 'drained', pushed: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect((await listArchivedWal(storage, 'pg3')).map((e) => e.file.name)).toEqual([names[4], names[5]]);
    expect((await readdir(dir)).sort()).toEqual([`${names[4]}.pushed`, `${names[5]}.pushed`]);
    expect(await liveHelperPid(dir)).toBeUndefined();
  });

  it('the helper stops when nobody takes its markers (another archive_command took over)', async () => {
    const dir = join(work, 'spool-unconsumed');
    const started = Date.now();
    const drained = await drainReadyWalFiles({
      storage,
      job: 'pg4',
      path: join(walDir, names[3]!),
      compression: zstd,
      spoolDir: dir,
      target: TARGET,
      idleMs: 60_000,
      unconsumedMs: 300,
    });
    expect(drained).toEqual({ status: 'drained', pushed: 2 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await liveHelperPid(dir)).toBeUndefined();
  }, 60_000);

  it('writes markers atomically and never for another name', async () => {
    const dir = join(work, 'spool2');
    await writeSpoolMarker(dir, {
      formatVersion: 1,
      name: names[0]!,
      plaintextSha256: 'a'.repeat(64),
      plaintextBytes: 1,
      target: TARGET,
      sidecarKey: 'x',
      archivedAt: new Date().toISOString(),
    });
    expect(await readdir(dir)).toEqual([`${names[0]}.pushed`]);
    expect(await readSpoolMarker(dir, names[1]!)).toBeUndefined();
    expect(await readSpoolMarker(dir, '../etc/passwd')).toBeUndefined();
  });
});

describe('fetchWalFile retryForMs', () => {
  it('keeps retrying an unreachable storage until the deadline, then fails with STORAGE_UNREACHABLE', async () => {
    const port = await freePort();
    const storage = new S3Storage({
      bucket: 'wal',
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    const started = Date.now();
    const error = await fetchWalFile({
      storage,
      job: 'pg',
      name: '000000010000000000000001',
      destination: join(tmpdir(), 'never-written'),
      retryForMs: 1500,
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'STORAGE_UNREACHABLE')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - started).toBeLessThan(30_000);
    const invalid = await fetchWalFile({
      storage,
      job: 'pg',
      name: '000000010000000000000001',
      destination: join(tmpdir(), 'never-written'),
      retryForMs: -1,
    }).catch((e: unknown) => e);
    expect(isBackupError(invalid, 'CONFIG_INVALID')).toBe(true);
  }, 60_000);
});
