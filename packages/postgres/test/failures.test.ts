import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type ArtifactRecord,
  BackupError,
  Catalog,
  FsStorage,
  isBackupError,
  readArtifact,
  restoreBackup,
  runBackup,
  type StorageBackend,
  silentLogger,
  writeArtifact,
} from '@backup/core';
import { type PostgresServer, startPostgres } from '@backup/test-services';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresEngine, POSTGRES_DUMP_MEDIA_TYPE } from '../src/index.js';
import { descendantArgv } from './fixtures/observe.js';
import { seedRichData } from './fixtures/richData.js';

async function listKeys(storage: StorageBackend): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('')) keys.push(object.key);
  return keys;
}

let dir: string;
let storage: FsStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pg-failures-'));
  storage = new FsStorage({ path: dir });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('failures on a healthy server', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    await seedRichData(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a wrong password fails the backup with SOURCE_FAILED and leaves nothing behind', async () => {
    const wrong = 'Wr0ng-pass-xyz';
    const url = `postgres://postgres:${wrong}@127.0.0.1:${server.port}/postgres`;
    const error = await runBackup({
      job: 'postgresql',
      engine: createPostgresEngine({ url }),
      storage,
      compression: { algorithm: 'zstd' },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /Cannot connect to PostgreSQL at 127\.0\.0\.1:\d+ as user "postgres".*password authentication failed.*check the password/,
    );
    expect((error as Error).message).not.toContain(wrong);
    expect(await listKeys(storage)).toEqual([]);
    expect(await new Catalog(storage).listBackups('postgresql')).toEqual([]);
  });

  it('a pg_dumpall or pg_dump refused by the server fails with SOURCE_FAILED and its stderr', async () => {
    await server.query(`create role reader login password 'reader-pw'`);
    const url = `postgres://reader:reader-pw@127.0.0.1:${server.port}/postgres`;
    const globals = await runBackup({
      job: 'postgresql',
      engine: createPostgresEngine({ url, databases: ['outline'] }),
      storage,
      compression: { algorithm: 'zstd' },
    }).catch((e: unknown) => e);
    expect(isBackupError(globals, 'SOURCE_FAILED')).toBe(true);
    expect((globals as Error).message).toMatch(
      /pg_dumpall --globals-only exited with code 1: .*permission denied for table pg_authid[\s\S]*needs a superuser.*globals: false/,
    );
    const dump = await runBackup({
      job: 'postgresql',
      engine: createPostgresEngine({ url, databases: ['outline'], globals: false }),
      storage,
      compression: { algorithm: 'zstd' },
    }).catch((e: unknown) => e);
    expect(isBackupError(dump, 'SOURCE_FAILED')).toBe(true);
    expect((dump as Error).message).toMatch(
      /pg_dump of database "outline" exited with code 1: pg_dump: error: .*permission denied/,
    );
    expect(await listKeys(storage)).toEqual([]);
    expect(await new Catalog(storage).listBackups('postgresql')).toEqual([]);
  });

  it('verify rejects a valid zstd stream that is not a dump with VERIFY_FAILED', async () => {
    const key = 'postgresql/20260101-000000/outline.dump.zst';
    const digests = await writeArtifact(storage, key, Readable.from([randomBytes(300_000)]), {
      compression: { algorithm: 'zstd', level: 3 },
    });
    const record: ArtifactRecord = {
      name: 'outline.dump.zst',
      key,
      unit: 'outline',
      mediaType: POSTGRES_DUMP_MEDIA_TYPE,
      ...digests,
      compression: { algorithm: 'zstd', level: 3 },
      encryption: null,
      metadata: { database: 'outline' },
    };
    const plaintext = await readArtifact(storage, record);
    const engine = createPostgresEngine({ url: server.url() });
    const error = await engine
      .verify(record, plaintext, { signal: new AbortController().signal, logger: silentLogger })
      .catch((e: unknown) => e);
    expect(isBackupError(error, 'VERIFY_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /pg_restore --list of outline\.dump\.zst exited with code 1: .*not appear to be a valid archive/,
    );
    expect(plaintext.readableEnded).toBe(true);
  });

  it('a restore whose artifact fails its checksum kills pg_restore and rolls back', async () => {
    const engine = createPostgresEngine({ url: server.url(), databases: ['outline'], globals: false });
    const manifest = await runBackup({
      job: 'postgresql',
      engine,
      storage,
      compression: { algorithm: 'zstd' },
    });
    const [dump] = manifest.artifacts;
    const path = join(dir, ...dump!.key.split('/'));
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(path, bytes);
    const catalog = new Catalog(storage);

    // Into an existing empty database: it must stay empty.
    await server.query('create database rollback_target');
    const error = await restoreBackup({
      catalog,
      manifest,
      engine,
      options: { into: 'rollback_target' },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'CHECKSUM_MISMATCH')).toBe(true);
    const [counts] = await server.query<{ n: number; lo: number }>(
      `select (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname !~ '^pg_' and n.nspname <> 'information_schema') as n,
              (select count(*)::int from pg_largeobject_metadata) as lo`,
      'rollback_target',
    );
    expect(counts).toEqual({ n: 0, lo: 0 });

    // Into a new database: the database created for the restore is dropped again.
    await expect(
      restoreBackup({ catalog, manifest, engine, options: { into: 'fresh_target' } }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'CHECKSUM_MISMATCH'));
    expect(await server.query(`select 1 from pg_database where datname = 'fresh_target'`)).toEqual([]);
  });

  it('a checksum failure found only at the very end still rolls the restore back', async () => {
    const engine = createPostgresEngine({ url: server.url(), databases: ['outline'], globals: false });
    const manifest = await runBackup({
      job: 'postgresql',
      engine,
      storage,
      compression: { algorithm: 'zstd' },
    });
    // Intact bytes, but the manifest expects another plaintext sha256: the reader delivers every
    // byte and fails only when the stream ends. pg_restore must not commit what it read.
    const tampered = {
      ...manifest,
      artifacts: manifest.artifacts.map((a) => ({ ...a, plaintextSha256: '0'.repeat(64) })),
    };
    await server.query('create database late_failure');
    await expect(
      restoreBackup({
        catalog: new Catalog(storage),
        manifest: tampered,
        engine,
        options: { into: 'late_failure' },
      }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'CHECKSUM_MISMATCH') && /plaintext of/.test(e.message));
    const [counts] = await server.query<{ n: number }>(
      `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`,
      'late_failure',
    );
    expect(counts).toEqual({ n: 0 });
    // The same set restores fine with its real manifest.
    await restoreBackup({
      catalog: new Catalog(storage),
      manifest,
      engine,
      options: { into: 'late_failure' },
    });
    const [restored] = await server.query<{ n: number }>(
      'select count(*)::int as n from docs.documents',
      'late_failure',
    );
    expect(restored).toEqual({ n: 3001 });
  });

  it('pg_restore never gets the whole dump before the stream has proven its checksum', async () => {
    // pg_restore commits as soon as it has read the archive's last byte, without waiting for EOF.
    // So a stream that delivers every byte and only then fails (as a checksum check at the end
    // does) must not reach pg_restore whole: the engine holds the last chunk back.
    const engine = createPostgresEngine({ url: server.url(), databases: ['outline'], globals: false });
    const manifest = await runBackup({
      job: 'postgresql',
      engine,
      storage,
      compression: { algorithm: 'zstd' },
    });
    const catalog = new Catalog(storage);
    const chunks: Buffer[] = [];
    for await (const chunk of await catalog.openArtifact(manifest, manifest.artifacts[0]!))
      chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    async function* deliverAllThenFail(): AsyncGenerator<Buffer> {
      yield* chunks;
      await new Promise((r) => setTimeout(r, 1500)); // ample time for pg_restore to commit
      throw new BackupError('CHECKSUM_MISMATCH', 'plaintext sha256 differs (simulated late check)');
    }
    await server.query('create database hold_back');
    const error = await engine
      .restore(
        {
          unit: manifest.units[0]!,
          artifacts: manifest.artifacts,
          open: async () => Readable.from(deliverAllThenFail()),
          options: { into: 'hold_back' },
        },
        { signal: new AbortController().signal, logger: silentLogger },
      )
      .catch((e: unknown) => e);
    expect(isBackupError(error, 'CHECKSUM_MISMATCH')).toBe(true);
    const [counts] = await server.query<{ n: number }>(
      `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`,
      'hold_back',
    );
    expect(counts).toEqual({ n: 0 });
  });
});

describe('failures of a server during a large dump', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    await server.query('create database big');
    // ~150 MB of rows: pg_dump needs a few seconds for it, long enough to fail it midway.
    await server.query(
      `create unlogged table big (id int, payload text);
       insert into big select g, repeat(md5(g::text), 8) from generate_series(1, 500000) g;`,
      'big',
    );
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('an aborted backup fails with ABORTED and leaves nothing behind', async () => {
    const controller = new AbortController();
    const error = await runBackup({
      job: 'postgresql',
      engine: createPostgresEngine({ url: server.url(), databases: ['big'], globals: false }),
      storage,
      compression: { algorithm: 'zstd' },
      signal: controller.signal,
      onProgress: (_artifact, bytes) => {
        if (bytes > 1_000_000) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'ABORTED')).toBe(true);
    expect(await listKeys(storage)).toEqual([]);
  });

  it('a server killed mid-dump fails the backup with SOURCE_FAILED and leaves nothing behind', async () => {
    let killed = false;
    let argv: string[][] = [];
    let bytesAtKill = 0;
    const error = await runBackup({
      job: 'postgresql',
      engine: createPostgresEngine({ url: server.url(), databases: ['big'], globals: false }),
      storage,
      compression: { algorithm: 'zstd' },
      onProgress: (_artifact, bytes) => {
        if (killed) return;
        killed = true;
        bytesAtKill = bytes;
        argv = descendantArgv();
        void server.kill();
      },
    }).catch((e: unknown) => e);
    expect(killed).toBe(true);
    expect(bytesAtKill).toBeLessThan(50_000_000);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/pg_dump of database "big" exited with code 1: pg_dump: error:/);
    const pgDump = argv.find((a) => a[0]?.endsWith('/pg_dump'));
    expect(pgDump).toEqual([
      expect.stringMatching(/pg_dump$/),
      '--format=custom',
      '--compress=0',
      '--no-password',
      expect.stringMatching(/^--snapshot=[0-9A-F]+-[0-9A-F]+-\d+$/),
      '--dbname=big',
    ]);
    expect(JSON.stringify(argv)).not.toContain(server.password);
    expect(await listKeys(storage)).toEqual([]);
    const catalog = new Catalog(storage);
    expect(await catalog.listSets('postgresql')).toEqual([]);
    expect(await catalog.listBackups('postgresql')).toEqual([]);
  });
});
