import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  type RestoreResult,
  restoreBackup,
  runBackup,
  verifyBackup,
} from '@backup/core';
import { type PostgresServer, startPostgres } from '@backup/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresEngine, POSTGRES_DUMP_MEDIA_TYPE, POSTGRES_GLOBALS_MEDIA_TYPE } from '../src/index.js';
import { descendantArgv, recordingLogger } from './fixtures/observe.js';
import { digestDatabase, seedRichData, tableCount } from './fixtures/richData.js';

// Both clusters share the superuser password: restoring globals.sql sets the target's role
// passwords to the source's, as pg_dumpall's output always does.
const PASSWORD = 'Src-pw_7Qx!z';

describe('full backup of a cluster restored into a second PostgreSQL', () => {
  let source: PostgresServer;
  let target: PostgresServer;
  let dir: string;
  let storage: FsStorage;
  let catalog: Catalog;
  let manifest: Manifest;
  const backupLogger = recordingLogger();
  const restoreLogger = recordingLogger();
  const argvSeen: string[][] = [];

  beforeAll(async () => {
    [source, target] = await Promise.all([
      startPostgres({ password: PASSWORD }),
      startPostgres({ password: PASSWORD }),
    ]);
    await seedRichData(source);
    dir = await mkdtemp(join(tmpdir(), 'pg-roundtrip-'));
    storage = new FsStorage({ path: dir });
    catalog = new Catalog(storage);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('backs up globals and every non-template database as standard artifacts', async () => {
    const seen = new Set<string>();
    manifest = await runBackup({
      job: 'postgresql',
      engine: createPostgresEngine({ url: source.url() }),
      storage,
      compression: { algorithm: 'zstd', level: 3 },
      logger: backupLogger,
      onProgress: (artifact) => {
        if (seen.has(artifact)) return;
        seen.add(artifact);
        argvSeen.push(...descendantArgv());
      },
    });
    expect(manifest.engine.name).toBe('postgres');
    expect(manifest.engine.version).toMatch(new RegExp(`^${source.major}\\.\\d+$`));
    expect(manifest.engine.metadata).toMatchObject({
      binDir: source.binDir,
      server: `127.0.0.1:${source.port}`,
    });
    expect(manifest.units.map((u) => [u.name, u.kind])).toEqual([
      ['globals', 'globals'],
      ['langgraph', 'database'],
      ['outline', 'database'],
      ['postgres', 'database'],
    ]);
    const outline = manifest.units.find((u) => u.name === 'outline')!;
    expect(outline.metadata).toMatchObject({
      encoding: 'UTF8',
      collate: 'C.UTF-8',
      tables: 2,
      largeObjects: 5,
    });
    expect(outline.metadata['sizeBytes']).toBeGreaterThan(1_000_000);
    expect(manifest.artifacts.map((a) => [a.name, a.mediaType])).toEqual([
      ['globals.sql.zst', POSTGRES_GLOBALS_MEDIA_TYPE],
      ['langgraph.dump.zst', POSTGRES_DUMP_MEDIA_TYPE],
      ['outline.dump.zst', POSTGRES_DUMP_MEDIA_TYPE],
      ['postgres.dump.zst', POSTGRES_DUMP_MEDIA_TYPE],
    ]);
    expect(manifest.artifacts.find((a) => a.name === 'outline.dump.zst')?.key).toBe(
      `postgresql/${manifest.id}/outline.dump.zst`,
    );
    const report = await verifyBackup({
      catalog,
      manifest,
      engine: createPostgresEngine({ url: source.url() }),
    });
    expect(report.artifacts.map((a) => [a.name, a.ok, a.level])).toEqual(
      manifest.artifacts.map((a) => [a.name, true, 'deep']),
    );
  });

  it('restores roles and every database into the second server row for row, with owners and large objects', async () => {
    const engine = createPostgresEngine({ url: source.url() });
    let sampled = false;
    const results = await restoreBackup({
      catalog,
      manifest,
      engine,
      units: ['globals', 'outline', 'langgraph'],
      options: { targetUrl: target.url(), globals: true },
      logger: restoreLogger,
      onProgress: (artifact) => {
        if (sampled || !artifact.startsWith('outline')) return;
        sampled = true;
        argvSeen.push(...descendantArgv());
      },
    });
    const byUnit = (name: string) => results.find((r) => r.unit === name) as RestoreResult;
    // psql replays CREATE ROLE postgres, which exists: a warning, not a failure.
    expect(byUnit('globals').metadata['warnings']).toBeGreaterThanOrEqual(1);
    expect(String(byUnit('globals').metadata['messages'])).toMatch(/role "postgres" already exists/);
    expect(byUnit('outline')).toMatchObject({
      target: 'outline',
      metadata: {
        created: true,
        clean: false,
        tables: 2,
        expectedTables: 2,
        largeObjects: 5,
        expectedLargeObjects: 5,
      },
    });
    for (const database of ['outline', 'langgraph']) {
      const expected = await digestDatabase(source, database);
      expect(tableCount(expected)).toBeGreaterThanOrEqual(3);
      expect(await digestDatabase(target, database)).toEqual(expected);
    }
    const [owner] = await target.query<{ tableowner: string }>(
      `select tableowner from pg_tables where schemaname = 'docs' and tablename = 'documents'`,
      'outline',
    );
    expect(owner?.tableowner).toBe('outline_app');
    // The role came with its password hash: it can log in to the target.
    const app = new pg.Client({
      connectionString: `postgres://outline_app:outline-app-pw@127.0.0.1:${target.port}/outline`,
    });
    await app.connect();
    const { rows } = await app.query('select count(*)::int as n from docs.documents');
    await app.end();
    expect(rows[0].n).toBe(3001);
  });

  it('never puts the password in argv, logs or the manifest', async () => {
    const commands = [...backupLogger.entries, ...restoreLogger.entries]
      .map((e) => e.obj as { command?: string; args?: string[] })
      .filter((o) => o.command !== undefined);
    expect(commands.map((c) => c.command?.split('/').pop())).toEqual(
      expect.arrayContaining(['pg_dumpall', 'pg_dump', 'pg_restore', 'psql']),
    );
    expect(commands.find((c) => c.command?.endsWith('/pg_dump'))?.args).toEqual([
      '--format=custom',
      '--compress=0',
      '--no-password',
      expect.stringMatching(/^--snapshot=[0-9A-F]+-[0-9A-F]+-\d+$/),
      '--dbname=langgraph',
    ]);
    expect(JSON.stringify([...backupLogger.entries, ...restoreLogger.entries])).not.toContain(PASSWORD);
    // What `ps` showed while pg_dump and pg_restore ran.
    const tools = argvSeen.filter((argv) => /(pg_dump|pg_dumpall|pg_restore)$/.test(argv[0] ?? ''));
    expect(tools.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(argvSeen)).not.toContain(PASSWORD);
    const stored = await readFile(join(dir, 'postgresql', manifest.id, 'manifest.json'), 'utf8');
    expect(stored).toContain('"outline.dump.zst"');
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('refuses a non-empty target without force, and overwrites it with force', async () => {
    const engine = createPostgresEngine({ url: source.url() });
    await target.query(
      `insert into docs.documents (id, title, created_at) values (gen_random_uuid(), 'extra', now())`,
      'outline',
    );
    const error = await restoreBackup({
      catalog,
      manifest,
      engine,
      units: ['outline'],
      options: { targetUrl: target.url() },
    }).catch((e: unknown) => e);
    expect(isBackupError(error, 'TARGET_NOT_EMPTY')).toBe(true);
    expect((error as Error).message).toMatch(
      /Database "outline" on 127\.0\.0\.1:\d+ is not empty \(.*relations.*\); pass force: true/,
    );
    const [forced] = await restoreBackup({
      catalog,
      manifest,
      engine,
      units: ['outline'],
      options: { targetUrl: target.url(), force: true },
    });
    expect(forced?.metadata).toMatchObject({ created: false, clean: true, tables: 2 });
    expect(await digestDatabase(target, 'outline')).toEqual(await digestDatabase(source, 'outline'));
  });

  it('restores one database under a new name, and refuses to merge two databases into one name', async () => {
    const engine = createPostgresEngine({ url: source.url() });
    const [copy] = await restoreBackup({
      catalog,
      manifest,
      engine,
      units: ['langgraph'],
      options: { targetUrl: target.url(), into: 'langgraph_copy', noOwner: true },
    });
    expect(copy).toMatchObject({ unit: 'langgraph', target: 'langgraph_copy', metadata: { created: true } });
    expect(await digestDatabase(target, 'langgraph_copy')).toEqual(await digestDatabase(source, 'langgraph'));
    await expect(
      restoreBackup({
        catalog,
        manifest,
        engine,
        units: ['outline'],
        options: { targetUrl: target.url(), into: 'langgraph_copy', force: true },
      }),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /into restores a single database/.test(e.message),
    );
  });

  it('skips the globals unit unless asked, saying so', async () => {
    const [globals] = await restoreBackup({
      catalog,
      manifest,
      engine: createPostgresEngine({ url: source.url() }),
      units: ['globals'],
      options: { targetUrl: target.url() },
    });
    expect(globals?.metadata).toMatchObject({ skipped: true });
    expect(String(globals?.metadata['reason'])).toMatch(/globals: true/);
  });
});
