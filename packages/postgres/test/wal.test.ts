import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAgeDecryptor,
  createAgeEncryptor,
  createCompressStream,
  FsStorage,
  isBackupError,
  MANIFEST_FORMAT_VERSION,
  type Manifest,
  S3Storage,
} from '@backup/core';
import { type PostgresServer, type S3rverInstance, startPostgres, startS3rver } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_UNIT,
  fetchWalFile,
  listArchivedWal,
  POSTGRES_BASE_BACKUP_MEDIA_TYPE,
  parseWalFile,
  pruneWal,
  pushWalFile,
  readWalSidecar,
  walSidecarKey,
} from '../src/index.js';
import { transformBuffer } from '../src/wal/transformBuffer.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const zstd = { algorithm: 'zstd' as const, level: 3 };

describe('WAL push and fetch with real segments', () => {
  let pg: PostgresServer;
  let work: string;
  let segments: string[];
  let storage: FsStorage;

  /** Forces a segment switch after writing, and copies the finished segment out of pg_wal. */
  async function finishSegment(rows: number): Promise<string> {
    await pg.query(`insert into t select g, md5(g::text) from generate_series(1, ${rows}) g`);
    // pg_switch_wal() returns the end of the segment it completed (PG15 docs "Backup Control Functions").
    const [row] = await pg.query<{ name: string }>('select pg_walfile_name(pg_switch_wal()) as name');
    const target = join(work, 'pg_wal', row!.name);
    await copyFile(join(pg.dataDir, 'pg_wal', row!.name), target);
    return target;
  }

  beforeAll(async () => {
    pg = await startPostgres();
    work = await mkdtemp(join(tmpdir(), 'wal-test-'));
    execFileSync('mkdir', ['-p', join(work, 'pg_wal'), join(work, 'repo')]);
    storage = new FsStorage({ path: join(work, 'repo') });
    await pg.query('create table t (id int, v text)');
    segments = [await finishSegment(5000), await finishSegment(7000)];
    expect(new Set(segments).size).toBe(2);
  });
  afterAll(async () => {
    await pg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('archives a segment under <job>/wal/<timeline>/ with a committing sidecar, and fetches it back byte for byte', async () => {
    const path = segments[0]!;
    const name = path.split('/').pop()!;
    const original = await readFile(path);
    const pushed = await pushWalFile({ storage, job: 'pg', path, compression: zstd });
    expect(pushed.status).toBe('stored');
    expect(pushed.key).toBe(`pg/wal/00000001/${name}.${sha256(original).slice(0, 16)}.zst`);
    expect(pushed.plaintextBytes).toBe(16 * 1024 * 1024);
    expect(pushed.storedBytes).toBeLessThan(pushed.plaintextBytes / 4);

    const sidecar = await readWalSidecar(storage, walSidecarKey('pg', parseWalFile(name)!));
    const [row] = await pg.query<{ id: string }>(
      'select system_identifier::text as id from pg_control_system()',
    );
    expect(sidecar).toMatchObject({
      name,
      kind: 'segment',
      timeline: 1,
      key: pushed.key,
      plaintextSha256: sha256(original),
      plaintextBytes: original.length,
      compression: zstd,
      encryption: null,
      systemIdentifier: row!.id,
    });
    // The stored object is a plain zstd frame of the segment: readable without this tool.
    const stored = await readFile(join(work, 'repo', pushed.key));
    expect(sidecar!.storedSha256).toBe(sha256(stored));
    expect(sha256(execFileSync('zstd', ['-d', '-c'], { input: stored, maxBuffer: 64 << 20 }))).toBe(
      sha256(original),
    );

    const destination = join(work, 'RECOVERYXLOG');
    const fetched = await fetchWalFile({ storage, job: 'pg', name, destination });
    expect(fetched).toEqual({ status: 'restored', name, key: pushed.key, bytes: original.length });
    expect(sha256(await readFile(destination))).toBe(sha256(original));
  });

  it('succeeds without writing when the same segment is pushed again (PostgreSQL re-archives after a crash)', async () => {
    const path = segments[0]!;
    const before = (await listArchivedWal(storage, 'pg')).flatMap((e) =>
      e.objects.map((o) => o.lastModified),
    );
    const again = await pushWalFile({ storage, job: 'pg', path, compression: zstd });
    expect(again.status).toBe('already-archived');
    const after = (await listArchivedWal(storage, 'pg')).flatMap((e) => e.objects.map((o) => o.lastModified));
    expect(after).toEqual(before);
  });

  it('refuses a different file under an archived name with STORAGE_CONFLICT and keeps the archived copy', async () => {
    const path = segments[0]!;
    const name = path.split('/').pop()!;
    const forged = join(work, 'forged', name);
    execFileSync('mkdir', ['-p', join(work, 'forged')]);
    const bytes = await readFile(path);
    bytes[20_000] = (bytes[20_000]! + 1) % 256;
    await writeFile(forged, bytes);
    const error = await pushWalFile({ storage, job: 'pg', path: forged, compression: zstd }).catch((e) => e);
    expect(isBackupError(error, 'STORAGE_CONFLICT')).toBe(true);
    expect(error.message).toContain('different contents');
    const destination = join(work, 'after-conflict');
    await fetchWalFile({ storage, job: 'pg', name, destination });
    expect(sha256(await readFile(destination))).toBe(sha256(await readFile(path)));
  });

  it('completes a push interrupted between the data object and the sidecar', async () => {
    const path = segments[1]!;
    const name = path.split('/').pop()!;
    const data = await readFile(path);
    // What a push that died before its commit leaves: the data object, no sidecar.
    const leftover = await transformBuffer(data, [createCompressStream(zstd)!]);
    const key = `pg/wal/00000001/${name}.${sha256(data).slice(0, 16)}.zst`;
    expect(await storage.createExclusive(key, leftover)).toBe(true);
    expect((await fetchWalFile({ storage, job: 'pg', name, destination: join(work, 'x') })).status).toBe(
      'missing',
    );

    const pushed = await pushWalFile({ storage, job: 'pg', path, compression: zstd });
    expect(pushed).toMatchObject({ status: 'stored', key, storedBytes: leftover.length });
    const sidecar = await readWalSidecar(storage, walSidecarKey('pg', parseWalFile(name)!));
    expect(sidecar!.storedSha256).toBe(sha256(leftover));
  });

  it('lets concurrent pushes of one file race safely: both succeed, one sidecar', async () => {
    const path = segments[1]!;
    const job = 'race';
    const results = await Promise.all(
      [1, 2, 3].map(() => pushWalFile({ storage, job, path, compression: zstd })),
    );
    expect(results.every((r) => r.status === 'stored' || r.status === 'already-archived')).toBe(true);
    const listed = await listArchivedWal(storage, job);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.sidecar).toBeDefined();
    expect(listed[0]!.objects).toHaveLength(1);
  });

  it('archives history and backup files, and reports a missing file as missing', async () => {
    const history = join(work, 'pg_wal', '00000002.history');
    await writeFile(history, '1\t0/3000000\tno recovery target specified\n');
    const backupFile = join(work, 'pg_wal', '000000010000000000000002.00000028.backup');
    await writeFile(backupFile, 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n');
    const h = await pushWalFile({ storage, job: 'pg', path: history, compression: zstd });
    const b = await pushWalFile({ storage, job: 'pg', path: backupFile, compression: { algorithm: 'none' } });
    expect(h.key).toMatch(/^pg\/wal\/00000002\/00000002\.history\.[0-9a-f]{16}\.zst$/);
    expect(b.key).toMatch(/^pg\/wal\/00000001\/000000010000000000000002\.00000028\.backup\.[0-9a-f]{16}$/);
    const out = join(work, 'history-out');
    expect(
      (await fetchWalFile({ storage, job: 'pg', name: '00000002.history', destination: out })).status,
    ).toBe('restored');
    expect(await readFile(out, 'utf8')).toContain('0/3000000');
    expect(await fetchWalFile({ storage, job: 'pg', name: '00000003.history', destination: out })).toEqual({
      status: 'missing',
      name: '00000003.history',
    });
    const bad = await pushWalFile({
      storage,
      job: 'pg',
      path: join(work, 'pg_wal', 'postgresql.conf'),
      compression: zstd,
    }).catch((e) => e);
    expect(isBackupError(bad, 'CONFIG_INVALID')).toBe(true);
  });

  it('pushes and fetches through S3 (s3rver) with conditional writes', async () => {
    const s3: S3rverInstance = await startS3rver();
    try {
      const bucket = new S3Storage(s3.storageOptions());
      const path = segments[1]!;
      const name = path.split('/').pop()!;
      expect((await pushWalFile({ storage: bucket, job: 'pg', path, compression: zstd })).status).toBe(
        'stored',
      );
      expect((await pushWalFile({ storage: bucket, job: 'pg', path, compression: zstd })).status).toBe(
        'already-archived',
      );
      const forged = join(work, 's3-forged', name);
      execFileSync('mkdir', ['-p', join(work, 's3-forged')]);
      await writeFile(forged, Buffer.alloc(16 * 1024 * 1024, 7));
      const conflict = await pushWalFile({
        storage: bucket,
        job: 'pg',
        path: forged,
        compression: zstd,
      }).catch((e) => e);
      expect(isBackupError(conflict, 'STORAGE_CONFLICT')).toBe(true);
      const destination = join(work, 's3-out');
      await fetchWalFile({ storage: bucket, job: 'pg', name, destination });
      expect(sha256(await readFile(destination))).toBe(sha256(await readFile(path)));
      const keys: string[] = [];
      for await (const o of bucket.list('pg/wal/')) keys.push(o.key);
      expect(keys).toContain(`pg/wal/00000001/${name}.json`);
    } finally {
      await s3.stop();
    }
  });

  it('encrypts with age and detects a corrupted stored object on fetch', async () => {
    const keyFile = join(work, 'age.key');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    const identity = (await readFile(keyFile, 'utf8'))
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    const recipient = execFileSync('age-keygen', ['-y', keyFile]).toString().trim();
    const job = 'enc';
    const path = segments[0]!;
    const pushed = await pushWalFile({
      storage,
      job,
      path,
      compression: zstd,
      encryptor: createAgeEncryptor({ recipients: [recipient] }),
    });
    expect(pushed.key).toMatch(/\.zst\.age$/);
    const name = path.split('/').pop()!;
    const noKey = await fetchWalFile({ storage, job, name, destination: join(work, 'enc-out') }).catch(
      (e) => e,
    );
    expect(isBackupError(noKey, 'DECRYPT_FAILED')).toBe(true);
    const decryptor = createAgeDecryptor({ identities: [identity] });
    await fetchWalFile({ storage, job, name, destination: join(work, 'enc-out'), decryptor });
    expect(sha256(await readFile(join(work, 'enc-out')))).toBe(sha256(await readFile(path)));

    const storedPath = join(work, 'repo', pushed.key);
    const stored = await readFile(storedPath);
    stored[stored.length - 100] = (stored[stored.length - 100]! + 1) % 256;
    await writeFile(storedPath, stored);
    const destination = join(work, 'corrupt-out');
    const corrupt = await fetchWalFile({ storage, job, name, destination, decryptor }).catch((e) => e);
    expect(isBackupError(corrupt, 'CHECKSUM_MISMATCH')).toBe(true);
    // Nothing half-written is left where PostgreSQL would read it.
    expect(
      (await readdir(work)).filter((f) => f.startsWith('corrupt-out') || f.startsWith('.corrupt-out')),
    ).toEqual([]);
  });
});

describe('pruneWal', () => {
  let work: string;
  let storage: FsStorage;

  const base = (id: string, startWalFile: string): Manifest => ({
    formatVersion: MANIFEST_FORMAT_VERSION,
    id,
    job: 'pg',
    engine: { name: 'postgres', metadata: { mode: 'physical' } },
    tool: { name: '@backup/core', version: '0.1.0' },
    startedAt: '2026-01-21T02:00:00.000Z',
    finishedAt: '2026-01-21T02:01:00.000Z',
    units: [
      {
        name: CLUSTER_UNIT,
        kind: CLUSTER_UNIT,
        metadata: {
          startLsn: '0/5000028',
          stopLsn: '0/5000100',
          timeline: Number.parseInt(startWalFile.slice(0, 8), 16),
          stopTimeline: Number.parseInt(startWalFile.slice(0, 8), 16),
          startWalFile,
          systemIdentifier: '7300000000000000001',
          serverVersionNum: 150000,
          walSegmentSize: 16777216,
          startTime: '2026-01-21T02:00:00.000Z',
          stopTime: '2026-01-21T02:01:00.000Z',
        },
      },
    ],
    artifacts: [
      {
        name: 'base.tar.zst',
        key: `pg/${id}/base.tar.zst`,
        unit: CLUSTER_UNIT,
        mediaType: POSTGRES_BASE_BACKUP_MEDIA_TYPE,
        plaintextBytes: 1,
        storedBytes: 1,
        plaintextSha256: '0'.repeat(64),
        storedSha256: '0'.repeat(64),
        compression: { algorithm: 'zstd', level: 3 },
        encryption: null,
        metadata: {},
      },
    ],
  });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'wal-prune-'));
    storage = new FsStorage({ path: join(work, 'repo') });
    const names = [
      '000000010000000000000003',
      '000000010000000000000004',
      '000000010000000000000004.00000028.backup',
      '000000010000000000000005',
      '000000010000000000000006',
      '000000010000000000000007.partial',
      '00000002.history',
      '000000020000000000000004',
      '000000020000000000000007',
    ];
    execFileSync('mkdir', ['-p', join(work, 'src')]);
    for (const name of names) {
      const path = join(work, 'src', name);
      await writeFile(path, `contents of ${name}\n`);
      await pushWalFile({ storage, job: 'pg', path, compression: zstd });
    }
    // An orphan data object of an interrupted push, before the cutoff.
    await storage.createExclusive('pg/wal/00000001/000000010000000000000003.0123456789abcdef.zst', 'x');
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('dry run counts, then removes WAL before the oldest kept base backup on every timeline, keeping history files', async () => {
    const keep = [
      base('20260122-020000', '000000010000000000000006'),
      base('20260121-020000', '000000010000000000000005'),
    ];
    const dry = await pruneWal({ storage, job: 'pg', keep, dryRun: true });
    expect(dry.cutoff).toBe('0000000000000005');
    expect(dry.removed).toEqual([
      '000000010000000000000003',
      '000000010000000000000004',
      '000000010000000000000004.00000028.backup',
      '000000020000000000000004',
    ]);
    expect(dry.deletedObjects).toBe(9); // 4 sidecars + 4 objects + 1 orphan
    expect((await listArchivedWal(storage, 'pg')).length).toBe(9);

    const real = await pruneWal({ storage, job: 'pg', keep, dryRun: false });
    expect(real.deletedObjects).toBe(dry.deletedObjects);
    expect(real.freedBytes).toBe(dry.freedBytes);
    const left = (await listArchivedWal(storage, 'pg')).map((e) => e.file.name);
    expect(left).toEqual([
      '000000010000000000000005',
      '000000010000000000000006',
      '000000010000000000000007.partial',
      '00000002.history',
      '000000020000000000000007',
    ]);
  });

  it('removes nothing when no base backup is kept', async () => {
    const result = await pruneWal({ storage, job: 'pg', keep: [], dryRun: false });
    expect(result).toMatchObject({ deletedObjects: 0, cutoff: undefined });
    expect((await listArchivedWal(storage, 'pg')).length).toBe(5);
  });
});
