import { execFileSync } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  restoreBackup,
  runBackup,
  runJobCycle,
  silentLogger,
  verifyBackup,
} from '@backup/core';
import { type PostgresServer, startPostgres } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseBackupInfo,
  CLUSTER_UNIT,
  createPostgresPhysicalEngine,
  extractBaseBackup,
  formatLsn,
  listArchivedWal,
  POSTGRES_BASE_BACKUP_MEDIA_TYPE,
  parseLsn,
  pushWalFile,
} from '../src/index.js';
import { recordingLogger } from './fixtures/observe.js';

const postgresUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
const postgresGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());

/** An empty directory owned by the `postgres` OS user (the server refuses to run as root). */
async function postgresOwnedDir(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { mode: 0o700 });
  await chown(dir, postgresUid, postgresGid);
  return dir;
}

/** Offset of the content of `path` in an uncompressed tar buffer. */
function tarContentOffset(tar: Buffer, path: string): number {
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    if (name === '') break;
    const size = Number.parseInt(
      tar
        .toString('latin1', at + 124, at + 136)
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    );
    if (name === path) return at + 512;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${path} not in tar`);
}

describe('physical base backup (pg_basebackup -D - -Ft -X fetch) through the pipeline', () => {
  let source: PostgresServer;
  let work: string;
  let storage: FsStorage;
  let catalog: Catalog;
  let manifest: Manifest;
  let digests: Record<string, string>;
  const logger = recordingLogger();

  beforeAll(async () => {
    source = await startPostgres();
    work = await mkdtemp(join(tmpdir(), 'pg-physical-'));
    await chown(work, postgresUid, postgresGid);
    storage = new FsStorage({ path: join(work, 'repo') });
    catalog = new Catalog(storage);
    await source.query('create database app');
    await source.query(
      `create table memories (id bigserial primary key, thread text, payload jsonb, embedding float4[]);
       insert into memories (thread, payload, embedding)
         select 'thread-' || (g % 17), jsonb_build_object('n', g, 'text', repeat('memoire ', g % 40)),
                array(select (random() + g * 0)::float4 from generate_series(1, 64))
         from generate_series(1, 20000) g;
       create index on memories (thread);`,
      'app',
    );
    digests = await source.rowDigests('app');
  });
  afterAll(async () => {
    await source?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('backs up the cluster as one base.tar artifact and records LSNs, timeline, system identifier and version', async () => {
    manifest = await runBackup({
      job: 'pg-physical',
      engine: createPostgresPhysicalEngine({ url: source.url() }),
      storage,
      compression: { algorithm: 'zstd', level: 3 },
      logger,
    });
    expect(manifest.engine.metadata).toMatchObject({ mode: 'physical', archiveMode: 'off' });
    expect(logger.entries.some((e) => e.level === 'warn' && /archive_mode is off/.test(e.msg ?? ''))).toBe(
      true,
    );
    expect(manifest.units.map((u) => u.kind)).toEqual([CLUSTER_UNIT]);
    expect(manifest.artifacts.map((a) => [a.name, a.mediaType])).toEqual([
      ['base.tar.zst', POSTGRES_BASE_BACKUP_MEDIA_TYPE],
    ]);

    const info = baseBackupInfo(manifest)!;
    const [server] = await source.query<{
      sysid: string;
      num: string;
      tli: number;
      file: string;
      cur: string;
    }>(
      `select system_identifier::text as sysid, current_setting('server_version_num') as num,
              (select timeline_id from pg_control_checkpoint()) as tli,
              pg_walfile_name('${formatLsn(info.startLsn)}') as file, pg_current_wal_lsn()::text as cur
         from pg_control_system()`,
    );
    expect(info.systemIdentifier).toBe(server!.sysid);
    expect(info.serverVersionNum).toBe(Number(server!.num));
    expect(info.timeline).toBe(server!.tli);
    expect(info.startWalFile).toBe(server!.file);
    expect(info.startLsn < info.stopLsn).toBe(true);
    expect(info.stopLsn <= parseLsn(server!.cur)).toBe(true);
    expect(info.startTime.getTime()).toBeLessThanOrEqual(info.stopTime.getTime());
    expect(info.walSegmentSize).toBe(16 * 1024 * 1024);
    expect(Number(manifest.units[0]!.metadata['files'])).toBeGreaterThan(900);
  });

  it('verifies deep: the tar against its own backup_manifest', async () => {
    const report = await verifyBackup({
      catalog,
      manifest,
      engine: createPostgresPhysicalEngine({ url: source.url() }),
      logger: silentLogger,
    });
    expect(report.ok).toBe(true);
    expect(report.artifacts.map((a) => a.level)).toEqual(['deep']);
  });

  it('detects a changed byte inside a data file even when the stream itself is intact', async () => {
    const tar = await buffer(await catalog.openArtifact(manifest, manifest.artifacts[0]!));
    const at = tarContentOffset(tar, 'global/pg_control');
    tar[at + 100] = (tar[at + 100]! + 1) % 256;
    const engine = createPostgresPhysicalEngine({ url: source.url() });
    const error = await engine
      .verify(manifest.artifacts[0]!, Readable.from([tar]), {
        signal: new AbortController().signal,
        logger: silentLogger,
      })
      .catch((e) => e);
    expect(isBackupError(error, 'VERIFY_FAILED')).toBe(true);
    expect(error.message).toContain('global/pg_control has checksum');

    const truncated = tar.subarray(0, tar.length - 4096);
    const cut = await engine
      .verify(manifest.artifacts[0]!, Readable.from([truncated]), {
        signal: new AbortController().signal,
        logger: silentLogger,
      })
      .catch((e) => e);
    expect(isBackupError(cut, 'VERIFY_FAILED')).toBe(true);
  });

  it('stores a standard file: zstd -d | tar -x gives a directory pg_verifybackup accepts', async () => {
    const stored = join(work, 'repo', manifest.artifacts[0]!.key);
    const dir = join(work, 'stock');
    await mkdir(dir);
    execFileSync('bash', ['-c', `set -o pipefail; zstd -d -c '${stored}' | tar -x -C '${dir}'`]);
    const out = execFileSync(join(source.binDir, 'pg_verifybackup'), [dir]).toString();
    expect(out).toContain('backup successfully verified');
  });

  it('restores into an empty directory that starts as a copy of the source', async () => {
    const dataDir = await postgresOwnedDir(work, 'restored');
    const results = await restoreBackup({
      catalog,
      manifest,
      engine: createPostgresPhysicalEngine({ url: source.url() }),
      units: [CLUSTER_UNIT],
      options: { dataDir },
      logger: silentLogger,
    });
    expect(results[0]).toMatchObject({ unit: CLUSTER_UNIT, target: dataDir });
    // Our extraction is what pg_verifybackup checks too.
    execFileSync('runuser', ['-u', 'postgres', '--', join(source.binDir, 'pg_verifybackup'), dataDir]);
    const restored = await startPostgres({ dataDir, password: source.password });
    try {
      expect(await restored.rowDigests('app')).toEqual(digests);
    } finally {
      await restored.stop();
    }
  });

  it('prunes archived WAL with its base backups in the job cycle (pruneExtra)', async () => {
    // WAL archived before the first base backup: once only a newer base backup is kept, it goes.
    const walDir = join(work, 'old-wal');
    await mkdir(walDir);
    for (const name of ['000000010000000000000001', '000000010000000000000001.00000028.backup']) {
      await writeFile(join(walDir, name), `old ${name}\n`);
      await pushWalFile({
        storage,
        job: 'pg-physical',
        path: join(walDir, name),
        compression: { algorithm: 'zstd' },
      });
    }
    const history = join(walDir, '00000002.history');
    await writeFile(history, '1\t0/1000000\tno recovery target specified\n');
    await pushWalFile({ storage, job: 'pg-physical', path: history, compression: { algorithm: 'zstd' } });
    const oldSet = (await catalog.listSets('pg-physical')).find((set) => set.id === manifest.id)!;
    await new Promise((r) => setTimeout(r, 1000));

    const cycle = await runJobCycle({
      job: 'pg-physical',
      engine: createPostgresPhysicalEngine({ url: source.url() }),
      storage,
      compression: { algorithm: 'zstd', level: 3 },
      retention: { keepLast: 1 },
    });
    expect(cycle.error).toBeUndefined();
    expect(cycle.prune?.removedSetIds).toEqual([manifest.id]);
    // The old set's objects plus two WAL files (sidecar + object each).
    expect(cycle.prune?.deletedObjects).toBe(oldSet.objects + 4);
    expect((await listArchivedWal(storage, 'pg-physical')).map((e) => e.file.name)).toEqual([
      '00000002.history',
    ]);
    manifest = cycle.manifest!;
  });

  it('refuses a non-empty target directory', async () => {
    const dataDir = join(work, 'restored');
    const error = await extractBaseBackup(
      await catalog.openArtifact(manifest, manifest.artifacts[0]!),
      dataDir,
    ).catch((e) => e);
    expect(isBackupError(error, 'TARGET_NOT_EMPTY')).toBe(true);
    expect((await readdir(dataDir)).length).toBeGreaterThan(10);
    expect(await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).toBe(`${source.major}\n`);
  });
});
