import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './freePort.js';

/** A throwaway PostgreSQL cluster started from the machine's binaries. */
export interface PostgresServer {
  host: string;
  port: number;
  /** Superuser name (`postgres`). */
  user: string;
  /** Superuser password (TCP connections use scram-sha-256). */
  password: string;
  /** Directory holding the PostgreSQL binaries (`/usr/lib/postgresql/<major>/bin`). */
  binDir: string;
  dataDir: string;
  /** Server major version. */
  major: number;
  /** `postgres://user:password@127.0.0.1:port/<database>`. */
  url(database?: string): string;
  /** libpq environment for the server (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`). */
  env(database?: string): Record<string, string>;
  /** Runs SQL in a database (default `postgres`) and returns the rows. */
  query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    database?: string,
  ): Promise<T[]>;
  /**
   * Per user table (`schema.table`): `<row count>:<md5 of all rows in text order>`, a deterministic
   * digest for comparing a restored database with its source row for row.
   */
  rowDigests(database: string): Promise<Record<string, string>>;
  /** Kills the postmaster with SIGKILL (for mid-dump failure tests). The cluster is unusable after. */
  kill(): Promise<void>;
  /** Fast shutdown and deletion of the cluster's directory. */
  stop(): Promise<void>;
}

/** `/usr/lib/postgresql/<newest>/bin`, or `PG_BIN_DIR`. Throws when PostgreSQL is not installed. */
export function findPostgresBinDir(): string {
  if (process.env['PG_BIN_DIR']) return process.env['PG_BIN_DIR'];
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((d) => existsSync(join(base, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error('PostgreSQL server binaries not found: apt-get install postgresql');
  return join(base, majors[0], 'bin');
}

const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary as the `postgres` OS user when we are root (initdb/postgres refuse root). */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Superuser password; default `test-secret-pw`. With `dataDir`, the password the cluster already has. */
  password?: string;
  /**
   * Extra server settings passed as `-c name=value` after the harness's own (so they win), e.g.
   * `{ archive_mode: 'on', archive_command: '/usr/bin/node /repo/apps/cli/dist/bin.js wal-push %p --job pg',
   * wal_level: 'replica' }`. Default none.
   */
  settings?: Readonly<Record<string, string | number | boolean>>;
  /** Extra `initdb` arguments (e.g. `['--wal-segsize=1']`); ignored with `dataDir`. Default none. */
  initdbArgs?: readonly string[];
  /**
   * Start on this EXISTING data directory instead of running initdb (e.g. one restored by a
   * point-in-time recovery); it must belong to the `postgres` OS user when the harness runs as root.
   * `stop()` then leaves the directory in place (the caller deletes it). Default: a fresh cluster.
   */
  dataDir?: string;
  /**
   * How long to wait for the server to accept connections, in ms; default 30 000 (a server
   * replaying WAL only accepts them once consistent).
   */
  startTimeoutMs?: number;
}

/**
 * initdb + start a PostgreSQL cluster on a free port in a temp directory: `fsync=off` for speed,
 * TCP on 127.0.0.1 with scram-sha-256 for user `postgres` (so tests exercise real password auth),
 * a private Unix socket directory. Resolves when it accepts connections. With `options.dataDir`,
 * starts an existing data directory instead (no initdb); `options.settings` adds `-c` settings
 * (archive_mode, archive_command...), `options.initdbArgs` extra initdb arguments.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const major = Number(binDir.split('/').at(-2));
  const password = options.password ?? 'test-secret-pw';
  const base = await mkdtemp(join(tmpdir(), 'pg-harness-'));
  const dataDir = options.dataDir ?? join(base, 'data');
  const socketDir = join(base, 'sock');
  const pwfile = join(base, 'pwfile');
  await writeFile(pwfile, `${password}\n`);
  execFileSync('mkdir', ['-p', socketDir]);
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const p of [base, socketDir, pwfile]) await chown(p, uid, gid);
  }
  await chmod(base, 0o755);
  if (options.dataDir === undefined) initCluster(binDir, dataDir, pwfile, options.initdbArgs ?? []);
  const port = await freePort();
  const extra = Object.entries(options.settings ?? {}).flatMap(([name, value]) => [
    '-c',
    `${name}=${String(value)}`,
  ]);
  const [cmd, args] = asPostgres(join(binDir, 'postgres'), [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    socketDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=50',
    ...extra,
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-8000);
  });
  const host = '127.0.0.1';
  const url = (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    const client = new pg.Client({ connectionString: url() });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const query = async <T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    database = 'postgres',
  ): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      const result = await client.query(sql);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return last.rows as T[];
    } finally {
      await client.end();
    }
  };
  const postmasterPid = async () =>
    Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  return {
    host,
    port,
    user: 'postgres',
    password,
    binDir,
    dataDir,
    major,
    url,
    env: (database = 'postgres') => ({
      PGHOST: host,
      PGPORT: String(port),
      PGUSER: 'postgres',
      PGPASSWORD: password,
      PGDATABASE: database,
    }),
    query,
    async rowDigests(database) {
      const tables = await query<{ t: string }>(
        `select format('%I.%I', schemaname, tablename) as t from pg_tables
         where schemaname not in ('pg_catalog', 'information_schema') order by 1`,
        database,
      );
      const out: Record<string, string> = {};
      for (const { t } of tables) {
        const [row] = await query<{ d: string }>(
          `select count(*)::text || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as d from ${t} x`,
          database,
        );
        out[t] = row!.d;
      }
      return out;
    },
    async kill() {
      const pid = await postmasterPid().catch(() => child.pid);
      if (pid) process.kill(pid, 'SIGKILL');
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        const pid = await postmasterPid().catch(() => undefined);
        try {
          if (pid) process.kill(pid, 'SIGINT');
          else child.kill('SIGINT');
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** Runs initdb (as the `postgres` OS user when root) for {@link startPostgres}. */
function initCluster(binDir: string, dataDir: string, pwfile: string, extraArgs: readonly string[]): void {
  const [initCmd, initArgs] = asPostgres(join(binDir, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-sync',
    ...extraArgs,
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
}
