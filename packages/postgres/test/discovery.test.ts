import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, silentLogger } from '@backup/core';
import { type PostgresServer, startPostgres } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresEngine } from '../src/index.js';
import { connect, digestDatabase } from './fixtures/richData.js';

const ctx = { signal: new AbortController().signal, logger: silentLogger };
const WEIRD = `we=ird "name" o'k`;

describe('discovery and description against a real server', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    await server.query('create database app1');
    await server.query('create database app2');
    await server.query(`create database "we=ird ""name"" o'k"`);
    await server.query('create database closed');
    await server.query('alter database closed allow_connections false');
    await server.query('create database tmpl is_template true');
    const client = await connect(server, WEIRD);
    await client.query(
      `create table t (id int primary key, v text); insert into t values (1, 'ß∂ƒ'), (2, '日本')`,
    );
    await client.end();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('describes the server: version, pg_dump, binDir, database sizes', async () => {
    const description = await createPostgresEngine({ url: server.url() }).describe(ctx);
    expect(description.version).toMatch(new RegExp(`^${server.major}\\.\\d+$`));
    const metadata = description.metadata as Record<string, unknown>;
    expect(metadata['serverVersionNum']).toBeGreaterThanOrEqual(server.major * 10000);
    expect(metadata['pgDumpVersion']).toMatch(/^pg_dump \(PostgreSQL\) \d+\.\d+/);
    expect(metadata['binDir']).toBe(server.binDir);
    const databases = metadata['databases'] as Array<{ name: string; sizeBytes: number }>;
    expect(databases.map((d) => d.name)).toEqual(['app1', 'app2', 'postgres', WEIRD]);
    for (const d of databases) expect(d.sizeBytes).toBeGreaterThan(1_000_000);
  });

  it('discovers globals then every connectable non-template database, with their properties', async () => {
    const units = await createPostgresEngine({ url: server.url() }).discover(ctx);
    expect(units.map((u) => [u.name, u.kind])).toEqual([
      ['globals', 'globals'],
      ['app1', 'database'],
      ['app2', 'database'],
      ['postgres', 'database'],
      [WEIRD, 'database'],
    ]);
    expect(units[1]?.metadata).toMatchObject({
      encoding: 'UTF8',
      collate: 'C.UTF-8',
      ctype: 'C.UTF-8',
      localeProvider: 'libc',
      owner: 'postgres',
    });
  });

  it('honours exclude, an explicit list and globals: false', async () => {
    const excluded = await createPostgresEngine({
      url: server.url(),
      exclude: ['postgres', 'app2'],
    }).discover(ctx);
    expect(excluded.map((u) => u.name)).toEqual(['globals', 'app1', WEIRD]);
    const listed = await createPostgresEngine({
      url: server.url(),
      databases: ['app2', 'app1', 'app2'],
      exclude: ['app1'],
      globals: false,
    }).discover(ctx);
    expect(listed.map((u) => u.name)).toEqual(['app2']);
  });

  it('reuses the listing of describe for the discover right after it, once', async () => {
    const engine = createPostgresEngine({ url: server.url(), globals: false });
    await engine.describe(ctx);
    await server.query('create database late');
    try {
      // The discover that follows describe uses describe's listing: no `late` yet...
      expect((await engine.discover(ctx)).map((u) => u.name)).not.toContain('late');
      // ...and only once: the next discover lists the databases again.
      expect((await engine.discover(ctx)).map((u) => u.name)).toContain('late');
    } finally {
      await server.query('drop database late');
    }
  });

  it('uses the PG* environment when no url is given', async () => {
    const units = await createPostgresEngine({
      env: { ...server.env(), PATH: process.env['PATH'] },
      databases: ['app1'],
    }).discover(ctx);
    expect(units.map((u) => u.name)).toEqual(['globals', 'app1']);
  });

  it('rejects configured databases that do not exist, naming them', async () => {
    const error = await createPostgresEngine({ url: server.url(), databases: ['app1', 'nope', 'gone'] })
      .discover(ctx)
      .catch((e: unknown) => e);
    expect(isBackupError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(
      /databases: "nope", "gone" do not exist on 127\.0\.0\.1:\d+ \(existing: app1, app2, postgres/,
    );
    await expect(
      createPostgresEngine({ url: server.url(), databases: ['closed'] }).discover(ctx),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /do not allow connections/.test(e.message),
    );
  });

  it('fails with CONFIG_INVALID when the client binaries are missing', async () => {
    await expect(
      createPostgresEngine({ url: server.url(), binDir: '/nonexistent/bin' }).describe(ctx),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /apt-get install postgresql-client/.test(e.message),
    );
  });

  it('backs up and restores a database whose name holds =, quotes and spaces', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pg-weird-'));
    try {
      const storage = new FsStorage({ path: dir });
      const engine = createPostgresEngine({ url: server.url(), databases: [WEIRD], globals: false });
      const manifest = await runBackup({ job: 'weird', engine, storage, compression: { algorithm: 'zstd' } });
      expect(manifest.artifacts.map((a) => a.name)).toEqual(['we%3Dird%20%22name%22%20o%27k.dump.zst']);
      const into = `copy of ${WEIRD}`;
      await restoreBackup({ catalog: new Catalog(storage), manifest, engine, options: { into } });
      const expected = await digestDatabase(server, WEIRD);
      expect(expected['table public.t']).toMatchObject({ n: 2 });
      expect(await digestDatabase(server, into)).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
