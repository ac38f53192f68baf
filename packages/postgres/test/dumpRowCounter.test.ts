import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FsStorage, runBackup, silentLogger } from '@backup/core';
import { type PostgresServer, startPostgres } from '@backup/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DumpRowCounter, type DumpRowCounts } from '../src/dumpRowCounter.js';
import { createPostgresEngine } from '../src/index.js';
import { openTableStatsSession, type RelationRow, rowsFromDump } from '../src/tableStats.js';

const run = promisify(execFile);

/** Tables whose COPY text is awkward: escapes, empty lines, the `\.` value, no columns, big rows. */
const TRICKY_SQL = String.raw`
create table t_text (id int, body text);
insert into t_text values (1, E'line1\nline2\r\nline3'), (2, E'back\\slash'), (3, E'\\.'), (4, '.'),
  (5, E'\\'), (6, ''), (7, null), (8, E'tab\there'), (9, E'ends with newline\n'), (10, E'\\.\n\\.');
create table t_empty (id int);
create table t_onecol (v text);
insert into t_onecol select case when g = 2 then 'a' else '' end from generate_series(1, 20) g;
create table t_trailer_like (v text);
insert into t_trailer_like values (E'\\.'), (''), ('');
create table t_nocols ();
insert into t_nocols default values; insert into t_nocols default values; insert into t_nocols default values;
create table t_small as select g as i from generate_series(1, 100000) g;
create table t_big (id int, blob text);
insert into t_big select g, repeat(md5(g::text), 5000) from generate_series(1, 10) g;
create table t_bytea (b bytea);
insert into t_bytea values ('\x0a0a0a5c2e0a'::bytea), ('\x00'::bytea);
create schema "Odd Schema";
create table "Odd Schema"."we""ird tab" (x text);
insert into "Odd Schema"."we""ird tab" values (E'\\.'), (E'\\.');
create table parted (id int, k int) partition by range (k);
create table parted_a partition of parted for values from (0) to (10);
create table parted_b partition of parted for values from (10) to (20) partition by range (k);
create table parted_b1 partition of parted_b for values from (10) to (15);
create table parted_b2 partition of parted_b for values from (15) to (20);
insert into parted select g, g % 20 from generate_series(1, 1000) g;
create extension file_fdw;
create server files foreign data wrapper file_fdw;
create foreign table parted_f partition of parted for values from (20) to (30)
  server files options (program 'printf "1,21\n2,22\n"', format 'csv');
create table inh_parent (id int);
create table inh_child (extra text) inherits (inh_parent);
insert into inh_parent values (1), (2);
insert into inh_child values (3, 'x'), (4, 'y'), (5, E'z\nz');
create unlogged table t_unlogged as select g from generate_series(1, 7) g;
create materialized view mv as select * from t_small where i < 10;
select lo_from_bytea(0, '\x0a0a0a0a'::bytea);
select lo_from_bytea(0, decode(repeat('0a', 100000), 'hex'));
`;

/** `count(*)` of every user table (`count(*)` semantics: descendants included), by `%I.%I` name. */
async function countAll(server: PostgresServer, database: string): Promise<Record<string, number>> {
  const tables = await server.query<{ t: string }>(
    `select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`,
    database,
  );
  const counts: Record<string, number> = {};
  for (const { t } of tables) {
    const [row] = await server.query<{ n: number }>(`select count(*)::int as n from ${t}`, database);
    counts[t] = row!.n;
  }
  return counts;
}

/** Feeds `data` in pieces of `size` bytes. */
function countIn(
  data: Buffer,
  size: number,
): { result: DumpRowCounts | undefined; error: string | undefined } {
  const counter = new DumpRowCounter();
  for (let i = 0; i < data.length; i += size) counter.push(data.subarray(i, i + size));
  return { result: counter.result(), error: counter.error };
}

describe('row counts read from a custom-format dump', () => {
  let server: PostgresServer;
  let dir: string;
  let dump: Buffer;

  beforeAll(async () => {
    server = await startPostgres();
    await server.query('create database tricky');
    await server.query(TRICKY_SQL, 'tricky');
    dir = await mkdtemp(join(tmpdir(), 'pg-rowcount-'));
    const file = join(dir, 'tricky.dump');
    await run(
      join(server.binDir, 'pg_dump'),
      ['--format=custom', '--compress=0', '--no-password', `--file=${file}`, '--dbname=tricky'],
      { env: { ...process.env, ...server.env('tricky') } },
    );
    dump = await readFile(file);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts every table exactly like count(*) on its own rows, whatever the chunking', async () => {
    const own: Record<string, number> = {};
    for (const { schema, name } of await server.query<{ schema: string; name: string }>(
      `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`,
      'tricky',
    )) {
      const [row] = await server.query<{ n: number }>(
        `select count(*)::int as n from only ${quoteIdent(schema)}.${quoteIdent(name)}`,
        'tricky',
      );
      own[`${schema}.${name}`] = row!.n;
    }
    expect(own['public.t_text']).toBe(10);
    expect(own['public.t_empty']).toBe(0);
    for (const size of [1, 2, 3, 5, 7, 64, 4096, 65536, dump.length]) {
      const { result, error } = countIn(dump, size);
      expect(error).toBeUndefined();
      expect(result?.uncounted).toEqual([]);
      const counted = Object.fromEntries(result!.tables.map((t) => [`${t.schema}.${t.table}`, t.rows]));
      expect(counted, `pieces of ${size} bytes`).toEqual(own);
    }
  });

  it('gives up (undefined, with a reason) on what it cannot read', async () => {
    const compressed = join(dir, 'z.dump');
    await run(
      join(server.binDir, 'pg_dump'),
      ['--format=custom', '--compress=1', '--no-password', `--file=${compressed}`, '--dbname=tricky'],
      { env: { ...process.env, ...server.env('tricky') } },
    );
    const z = countIn(await readFile(compressed), 65536);
    expect(z.result).toBeUndefined();
    expect(z.error).toMatch(/compressed/);
    const cut = countIn(dump.subarray(0, dump.length - 100), 65536);
    expect(cut.result).toBeUndefined();
    expect(cut.error).toMatch(/ended inside a data block/);
    const garbage = Buffer.from(dump);
    garbage.fill(0x7f, dump.length - 10);
    expect(countIn(garbage, 65536).result).toBeUndefined();
    expect(countIn(Buffer.from('PGDMP'), 1).error).toMatch(/header or TOC/);
    expect(countIn(Buffer.from('not a dump at all'), 4).error).toMatch(/not a pg_dump/);
  });

  it("runs queries in the stats session's snapshot; a failing one leaves the exported snapshot usable", async () => {
    const session = await openTableStatsSession({ ...process.env, ...server.env('tricky') }, 'tricky');
    try {
      expect(session.snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
      const n = await session.run(async (client) => (await client.query('select 42 as n')).rows[0].n);
      expect(n).toBe(42);
      // Rows inserted after the snapshot was taken are not seen inside it.
      await server.query('create table later (x int); insert into later values (1)', 'tricky');
      const seen = await session.run(
        async (client) => (await client.query('select count(*)::int as n from later')).rows[0].n,
      );
      expect(seen).toBe(0);
      const error = await session.run((client) => client.query('select 1 / 0')).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/division by zero/);
      // The transaction survived the failed query (rolled back to the savepoint)...
      const after = await session.run(async (client) => (await client.query('select 7 as n')).rows[0].n);
      expect(after).toBe(7);
      // ...so another connection (pg_dump) can still import the snapshot.
      const other = new pg.Client({ connectionString: server.url('tricky') });
      await other.connect();
      try {
        await other.query('begin isolation level repeatable read read only');
        await other.query(`set transaction snapshot '${session.snapshot}'`);
        await other.query('rollback');
      } finally {
        await other.end();
      }
    } finally {
      await session.close();
      await server.query('drop table if exists later', 'tricky');
    }
  });

  it('records count(*) per table in the manifest, from the stream, equal to the server', async () => {
    const storage = new FsStorage({ path: join(dir, 'repo') });
    const manifest = await runBackup({
      job: 'rows',
      engine: createPostgresEngine({ url: server.url(), databases: ['tricky'], globals: false }),
      storage,
      compression: { algorithm: 'zstd', level: 3 },
      logger: silentLogger,
    });
    const unit = manifest.units.find((u) => u.name === 'tricky')!;
    expect(unit.metadata['tableStatsExact']).toBe(true);
    const stats = unit.metadata['tableStats'] as Array<{ table: string; rows: number; bytes: number }>;
    const expected = await countAll(server, 'tricky');
    expect(Object.fromEntries(stats.map((s) => [s.table, s.rows]))).toEqual(expected);
    expect(expected['public.parted']).toBe(1002); // 2 rows in a foreign partition: count(*) fallback
    expect(expected['public.parted_b']).toBe(500);
    expect(expected['public.inh_parent']).toBe(5);
    expect(stats.map((s) => s.table)).toEqual([...stats.map((s) => s.table)].sort());
  });
});

describe('rowsFromDump', () => {
  const rel = (oid: string, name: string, extra: Partial<RelationRow> = {}): RelationRow => ({
    table: `public.${name}`,
    schema: 'public',
    name,
    oid,
    relkind: 'r',
    listed: true,
    bytes: 0,
    inExtension: false,
    parents: [],
    ...extra,
  });
  const dumped = (tables: Record<string, number>): DumpRowCounts => ({
    archiveVersion: '1.14',
    tables: Object.entries(tables).map(([table, rows]) => ({ schema: 'public', table, rows })),
    uncounted: [],
  });

  it('sums a table with its descendants, once each (diamond inheritance)', () => {
    const rows = rowsFromDump(
      [
        rel('1', 'root', { relkind: 'p' }),
        rel('2', 'mid_a', { parents: ['1'] }),
        rel('3', 'mid_b', { parents: ['1'] }),
        rel('4', 'leaf', { parents: ['2', '3'] }),
      ],
      dumped({ mid_a: 1, mid_b: 10, leaf: 100 }),
    );
    expect(Object.fromEntries(rows)).toEqual({
      'public.root': 111,
      'public.mid_a': 101,
      'public.mid_b': 110,
      'public.leaf': 100,
    });
  });

  it('leaves to count(*) what the dump does not hold as COPY data', () => {
    const rows = rowsFromDump(
      [
        rel('1', 'parent', { relkind: 'p' }),
        rel('2', 'foreign_part', { relkind: 'f', listed: false, parents: ['1'] }),
        rel('3', 'ext_config', { inExtension: true }),
        rel('4', 'not_dumped'),
        rel('5', 'fine'),
        rel('6', 'child_elsewhere', { parents: ['7'] }),
      ],
      dumped({ ext_config: 3, fine: 2, foreign_part: 9, child_elsewhere: 4 }),
    );
    expect(rows.get('public.parent')).toBeUndefined();
    expect(rows.get('public.ext_config')).toBeUndefined();
    expect(rows.get('public.not_dumped')).toBeUndefined();
    expect(rows.get('public.fine')).toBe(2);
    expect(rows.get('public.child_elsewhere')).toBe(4);
    expect(rows.has('public.foreign_part')).toBe(false);
  });
});

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
