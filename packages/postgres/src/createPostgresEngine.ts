import { pipeline, type Readable, Transform } from 'node:stream';
import {
  type ArtifactInput,
  type ArtifactRecord,
  type ArtifactSink,
  BackupError,
  type BackupUnit,
  type Engine,
  type EngineContext,
  type EngineDescription,
  type RestoreInput,
  type RestoreResult,
  spawnSource,
} from '@backup/core';
import type pg from 'pg';
import { checkPgDumpVersion, checkPgRestoreVersion } from './checkPgDumpVersion.js';
import { connectionEnv } from './connectionEnv.js';
import { dbnameArg } from './dbnameArg.js';
import { dumpArtifactName } from './dumpArtifactName.js';
import { DumpRowCounter } from './dumpRowCounter.js';
import { inspectDatabase } from './inspectDatabase.js';
import { withLargeStdoutWrites } from './largeStdoutWrites.js';
import { listDatabases } from './listDatabases.js';
import { POSTGRES_DUMP_MEDIA_TYPE, POSTGRES_GLOBALS_MEDIA_TYPE } from './mediaTypes.js';
import { openClient } from './openClient.js';
import { redactSecret } from './redactSecret.js';
import { resolveBinDir, toolPath } from './resolveBinDir.js';
import { restoreDatabase } from './restoreDatabase.js';
import { restoreGlobals } from './restoreGlobals.js';
import { selectDatabases } from './selectDatabases.js';
import { serverLabel } from './serverLabel.js';
import { openTableStatsSession } from './tableStats.js';
import { readToolVersion, type ToolVersion } from './toolVersion.js';
import { verifyDump } from './verifyDump.js';
import { verifyGlobals } from './verifyGlobals.js';

/** Name of the unit (and `kind`) holding roles and tablespaces; its artifact is `globals.sql`. */
export const GLOBALS_UNIT = 'globals';

/**
 * How long the database listing of `describe` serves the next `discover`: 10,000 ms. `runBackup`
 * calls them back to back; a `discover` later than this lists the databases again.
 */
const DESCRIBED_LISTING_TTL_MS = 10_000;

/** Options of {@link createPostgresEngine}: the source server and what to back up. */
export interface PostgresEngineOptions {
  /**
   * `postgres://user:password@host:5432/postgres?sslmode=require`. Its parts override the libpq
   * variables of `env`; without it `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGSSLMODE`,
   * `PGDATABASE`... of `env` apply (see `connectionEnv`). Its database (default `postgres`) is the
   * one connected to for discovery and `pg_dumpall`. The password is passed to the tools through
   * `PGPASSWORD` in their environment, never in argv, logs, errors or the manifest.
   */
  url?: string | undefined;
  /** Environment for libpq defaults and the child processes; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Databases to dump: `'all'` (default) = every database that is not a template and allows
   * connections, or a list of names (each must exist, else `CONFIG_INVALID`).
   */
  databases?: 'all' | string[] | undefined;
  /** Databases to skip (applied after `databases`); default none. */
  exclude?: string[] | undefined;
  /**
   * Also dump roles and tablespaces with `pg_dumpall --globals-only` as unit `globals`, artifact
   * `globals.sql`; default `true`. Needs a superuser (it reads `pg_authid`).
   */
  globals?: boolean | undefined;
  /**
   * Directory of the PostgreSQL client binaries (`pg_dump`, `pg_dumpall`, `pg_restore`, `psql`).
   * Default: the newest `/usr/lib/postgresql/<major>/bin` holding `pg_dump`, else `PATH`. pg_dump
   * must be at least the server's major version (`CONFIG_INVALID` otherwise).
   */
  binDir?: string | undefined;
}

/** Options of the engine's `restore`: where to restore and how safely. */
export interface PostgresRestoreOptions {
  /**
   * Target server URL (same form as {@link PostgresEngineOptions.url}, the engine's `env` supplies
   * what it leaves out); default: the engine's own connection.
   */
  targetUrl?: string | undefined;
  /**
   * Restore a single database under this name instead of its own. Restoring several database
   * units with the same `into` throws `CONFIG_INVALID`: choose one unit (`units: ['outline']`).
   */
  into?: string | undefined;
  /**
   * Restore over a non-empty database with `pg_restore --clean --if-exists` (objects of the dump
   * are dropped and recreated; other objects stay). Default `false`: `TARGET_NOT_EMPTY`.
   */
  force?: boolean | undefined;
  /**
   * Restore the `globals` unit (roles, tablespaces) with psql; errors such as existing roles are
   * reported as warnings. Default `false`: the unit is skipped (`metadata.skipped: true`).
   */
  globals?: boolean | undefined;
  /** `pg_restore --no-owner`: objects belong to the restoring user. Default `false`. */
  noOwner?: boolean | undefined;
}

/**
 * Creates the PostgreSQL engine (name `postgres`): logical backups with pg_dump's custom format,
 * one artifact per database (`<db>.dump`, media type `application/vnd.postgresql.custom-dump`,
 * uncompressed by pg_dump: the pipeline compresses, performance.md) plus `globals.sql` from
 * `pg_dumpall --globals-only`. Every artifact is a standard file: `zstd -d | pg_restore` works
 * without this tool.
 *
 * - `describe`: server version (`15.20`) and metadata `serverVersion`, `serverVersionNum`,
 *   `pgDumpVersion`, `binDir`, `server` (`host:port`), `user`, `databases` (`{ name, sizeBytes }`).
 * - `discover`: unit `globals` (kind `globals`, when enabled) then one unit per database (kind
 *   `database`, metadata `sizeBytes`, `encoding`, `collate`, `ctype`, `localeProvider`, `locale`,
 *   `owner`).
 * - `backup`: `pg_dump --format=custom --compress=0 --no-password --snapshot=<id> --dbname=<db>`
 *   (through coreutils' `stdbuf --output=1048576` when installed: 1 MiB writes, see
 *   `largeStdoutWrites.ts`);
 *   unit facts `tables`, `largeObjects`, `pgDumpVersion`, and `tableStats` (per table
 *   `{ table, rows, bytes }`: the exact `count(*)` of the snapshot pg_dump dumps, read from the
 *   dump stream itself where it holds the table's rows, so `tableStatsExact: true`; see
 *   `tableStats.ts`) for the restore checks.
 * - `verify`: `pg_restore --list` of a dump; UTF-8 and header check of `globals.sql`.
 * - `restore`: see `restoreDatabase` / `restoreGlobals` and {@link PostgresRestoreOptions}.
 *
 * @throws BackupError `CONFIG_INVALID` at creation for malformed options (the message names the
 *   field). The engine's calls throw `SOURCE_FAILED` (connection refused, bad password, pg_dump
 *   failed: stderr in the message), `CONFIG_INVALID` (unknown databases, pg_dump older than the
 *   server), `VERIFY_FAILED`, `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `ABORTED`.
 */
export function createPostgresEngine(options: PostgresEngineOptions = {}): Engine<PostgresRestoreOptions> {
  validateOptions(options);
  const baseEnv = options.env ?? process.env;
  const env = connectionEnv(options.url, baseEnv);
  const databases = options.databases ?? 'all';
  const exclude = options.exclude ?? [];
  const globals = options.globals ?? true;
  const binDir = resolveBinDir(options.binDir);
  const binLabel = binDir ?? 'PATH';
  const secret = env['PGPASSWORD'];
  const versions = new Map<string, Promise<ToolVersion>>();
  /** Targets of `into` restores done by this engine, to refuse merging two databases into one. */
  const intoTargets = new Map<string, string>();

  const tool = (name: string) => toolPath(binDir, name);
  const toolVersion = (name: string): Promise<ToolVersion> => {
    let version = versions.get(name);
    if (!version) {
      version = readToolVersion(tool(name));
      version.catch(() => versions.delete(name));
      versions.set(name, version);
    }
    return version;
  };

  const write = (sink: ArtifactSink, input: ArtifactInput) =>
    sink.write(input).catch((error: unknown) => {
      throw redactSecret(error, secret);
    });

  async function withSource<T>(
    database: string | undefined,
    fn: (client: pg.Client) => Promise<T>,
  ): Promise<T> {
    const client = await openMaintenanceOr(env, database);
    try {
      return await fn(client);
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError(
        'SOURCE_FAILED',
        `Query on ${serverLabel(env)} failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function serverVersionNum(client: pg.Client): Promise<number> {
    return Number(
      (await client.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]!.v,
    );
  }

  /** The database listing of the last `describe`, for the `discover` that follows it. */
  let describedListing: { databases: Awaited<ReturnType<typeof listDatabases>>; at: number } | undefined;

  return {
    name: 'postgres',

    async describe(_ctx: EngineContext): Promise<EngineDescription> {
      // `pg_dump --version` runs while the connection is made (a settled rejection is awaited below).
      const version = toolVersion('pg_dump');
      version.catch(() => {});
      return withSource(undefined, async (client) => {
        const { rows } = await client.query<{ version: string; num: string }>(
          `select current_setting('server_version') as version, current_setting('server_version_num') as num`,
        );
        const full = rows[0]!.version;
        const num = Number(rows[0]!.num);
        const pgDump = await version;
        checkPgDumpVersion(pgDump, num, binLabel);
        const all = await listDatabases(client);
        describedListing = { databases: all, at: Date.now() };
        return {
          version: full.split(' ')[0],
          metadata: {
            serverVersion: full,
            serverVersionNum: num,
            pgDumpVersion: pgDump.text,
            binDir: binLabel,
            server: serverLabel(env),
            user: client.user,
            databases: all
              .filter((d) => !d.isTemplate && d.allowConnections)
              .map((d) => ({ name: d.name, sizeBytes: d.sizeBytes })),
          },
        };
      });
    },

    async discover(_ctx: EngineContext): Promise<BackupUnit[]> {
      // runBackup calls describe, then discover at once: the listing describe just made is reused
      // (once, and only if under DESCRIBED_LISTING_TTL_MS old) instead of a second connection and
      // pg_database_size() of every database again.
      const listing = describedListing;
      describedListing = undefined;
      const all =
        listing !== undefined && Date.now() - listing.at < DESCRIBED_LISTING_TTL_MS
          ? listing.databases
          : await withSource(undefined, listDatabases);
      const selected = selectDatabases(all, databases, exclude, serverLabel(env));
      if (globals && selected.some((d) => d.name === GLOBALS_UNIT)) {
        throw new BackupError(
          'CONFIG_INVALID',
          `Database "${GLOBALS_UNIT}" on ${serverLabel(env)} has the name of the globals unit; set globals: false or exclude it`,
        );
      }
      const units: BackupUnit[] = globals ? [{ name: GLOBALS_UNIT, kind: 'globals', metadata: {} }] : [];
      for (const d of selected) {
        units.push({
          name: d.name,
          kind: 'database',
          metadata: {
            sizeBytes: d.sizeBytes,
            encoding: d.encoding,
            collate: d.collate,
            ctype: d.ctype,
            localeProvider: d.localeProvider,
            ...(d.locale === null ? {} : { locale: d.locale }),
            owner: d.owner,
          },
        });
      }
      return units;
    },

    async backup(unit: BackupUnit, sink: ArtifactSink, ctx: EngineContext) {
      if (unit.kind === 'globals') {
        const pgDumpall = await toolVersion('pg_dumpall');
        const args = [
          '--globals-only',
          '--no-password',
          ...(env['PGDATABASE'] ? [`--database=${env['PGDATABASE']}`] : []),
        ];
        ctx.logger.debug({ command: tool('pg_dumpall'), args }, 'dumping globals');
        const source = spawnSource(tool('pg_dumpall'), args, {
          env,
          signal: ctx.signal,
          label: 'pg_dumpall --globals-only',
        });
        await write(sink, {
          name: 'globals.sql',
          unit: unit.name,
          mediaType: POSTGRES_GLOBALS_MEDIA_TYPE,
          source,
          metadata: { pgDumpallVersion: pgDumpall.version },
        }).catch((error: unknown) => {
          if (error instanceof BackupError && /permission denied/.test(error.message)) {
            throw new BackupError(
              error.code,
              `${error.message}\npg_dumpall --globals-only needs a superuser (it reads pg_authid); ` +
                'connect as one or set globals: false for this job',
              { cause: error.cause, details: error.details },
            );
          }
          throw error;
        });
        return { pgDumpallVersion: pgDumpall.version };
      }
      if (unit.kind !== 'database') {
        throw new BackupError('INTERNAL', `The postgres engine has no unit kind "${unit.kind}"`);
      }
      const pgDump = await toolVersion('pg_dump');
      // Row counts for the restore checks, taken in the very snapshot pg_dump dumps (tableStats.ts).
      // Its connection also checks the server version and counts the database's objects, in that
      // same snapshot: one connection before pg_dump instead of two.
      const stats = await openTableStatsSession(env, unit.name);
      let contents: Awaited<ReturnType<typeof inspectDatabase>>;
      try {
        contents = await stats.run(async (client) => {
          checkPgDumpVersion(pgDump, await serverVersionNum(client), binLabel);
          return inspectDatabase(client);
        });
      } catch (error) {
        await stats.close();
        if (error instanceof BackupError) throw error;
        throw new BackupError(
          'SOURCE_FAILED',
          `Query on ${serverLabel(env)} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const snapshot = stats.snapshot === undefined ? [] : [`--snapshot=${stats.snapshot}`];
      const args = [
        '--format=custom',
        '--compress=0',
        '--no-password',
        ...snapshot,
        `--dbname=${dbnameArg(unit.name)}`,
      ];
      ctx.logger.debug({ command: tool('pg_dump'), args }, `dumping database ${unit.name}`);
      // pg_dump's archive in 1 MiB writes instead of stdio's 4-8 KiB (largeStdoutWrites.ts).
      const [command, argv] = withLargeStdoutWrites(tool('pg_dump'), args, env);
      const dump = spawnSource(command, argv, {
        env,
        signal: ctx.signal,
        label: `pg_dump of database "${unit.name}"`,
      });
      // The rows of every table are counted from the archive as it streams (tableStats.ts).
      // pipeline: an error of either side destroys both (a consumer that stops kills pg_dump).
      const counter = new DumpRowCounter();
      const source = pipeline(
        dump,
        // Small buffers: this stage only looks at the chunks (spawnSource's stage holds 1 MiB).
        new Transform({
          highWaterMark: 64 * 1024,
          transform(chunk: Buffer, _encoding, callback) {
            counter.push(chunk);
            callback(null, chunk);
          },
        }),
        () => {},
      );
      await write(sink, {
        name: dumpArtifactName(unit.name),
        unit: unit.name,
        mediaType: POSTGRES_DUMP_MEDIA_TYPE,
        source,
        metadata: {
          database: unit.name,
          format: 'custom',
          pgDumpVersion: pgDump.version,
          pgDumpMajor: pgDump.major,
        },
      }).catch(async (error: unknown) => {
        await stats.close();
        throw error;
      });
      const dumped = counter.result();
      if (dumped === undefined) {
        ctx.logger.debug(
          { database: unit.name, reason: counter.error },
          'could not count rows from the dump stream; counting with count(*)',
        );
      }
      const tableStats = await stats.collect(ctx.logger, dumped);
      await stats.close();
      return {
        tables: contents.tables,
        largeObjects: contents.largeObjects,
        pgDumpVersion: pgDump.version,
        ...(tableStats === undefined ? {} : { tableStats, tableStatsExact: stats.snapshot !== undefined }),
      };
    },

    async verify(artifact: ArtifactRecord, plaintext: Readable, ctx: EngineContext): Promise<void> {
      if (artifact.mediaType === POSTGRES_DUMP_MEDIA_TYPE) {
        let pgRestore: ToolVersion;
        try {
          pgRestore = await toolVersion('pg_restore');
          checkPgRestoreVersion(pgRestore, num(artifact.metadata['pgDumpMajor']), binLabel);
        } catch (error) {
          plaintext.destroy();
          throw error;
        }
        const toc = await verifyDump(
          plaintext,
          {
            pgRestore: tool('pg_restore'),
            env,
            name: artifact.name,
            database: str(artifact.metadata['database']),
          },
          ctx,
        );
        ctx.logger.debug({ artifact: artifact.name, ...toc }, 'dump verified');
        return;
      }
      if (artifact.mediaType === POSTGRES_GLOBALS_MEDIA_TYPE) {
        await verifyGlobals(plaintext, artifact.name);
        return;
      }
      plaintext.destroy();
      throw new BackupError(
        'VERIFY_FAILED',
        `${artifact.name} has media type ${artifact.mediaType}, which the postgres engine does not write`,
      );
    },

    async restore(input: RestoreInput<PostgresRestoreOptions>, ctx: EngineContext): Promise<RestoreResult> {
      const opts = input.options ?? {};
      validateRestoreOptions(opts);
      const targetEnv = opts.targetUrl === undefined ? env : connectionEnv(opts.targetUrl, baseEnv);
      const maintenanceDatabase = targetEnv['PGDATABASE'] || 'postgres';
      const { unit } = input;
      const find = (mediaType: string) => {
        const artifact = input.artifacts.find((a) => a.mediaType === mediaType);
        if (!artifact) {
          throw new BackupError(
            'RESTORE_FAILED',
            `Unit ${unit.name} has no ${mediaType} artifact in this set`,
          );
        }
        return artifact;
      };
      if (unit.kind === 'globals') {
        if (!opts.globals) {
          return {
            unit: unit.name,
            target: serverLabel(targetEnv),
            metadata: {
              skipped: true,
              reason: 'roles and tablespaces are restored only with globals: true (CLI --globals)',
            },
          };
        }
        const artifact = find(POSTGRES_GLOBALS_MEDIA_TYPE);
        return restoreGlobals(
          {
            unit: unit.name,
            open: () => input.open(artifact),
            env: targetEnv,
            maintenanceDatabase,
            psql: tool('psql'),
          },
          ctx,
        );
      }
      if (unit.kind !== 'database') {
        throw new BackupError(
          'RESTORE_FAILED',
          `The postgres engine cannot restore unit kind "${unit.kind}"`,
        );
      }
      const artifact = find(POSTGRES_DUMP_MEDIA_TYPE);
      const database = opts.into ?? unit.name;
      if (opts.into !== undefined) {
        const key = `${serverLabel(targetEnv)}/${database}`;
        const previous = intoTargets.get(key);
        if (previous !== undefined && previous !== unit.name) {
          throw new BackupError(
            'CONFIG_INVALID',
            `into: "${database}" already received database ${previous}; into restores a single database, ` +
              `so restore ${unit.name} on its own (units: ['${unit.name}']) with another into`,
          );
        }
        intoTargets.set(key, unit.name);
      }
      const pgRestore = await toolVersion('pg_restore');
      checkPgRestoreVersion(pgRestore, num(artifact.metadata['pgDumpMajor']), binLabel);
      const meta = unit.metadata;
      return restoreDatabase(
        {
          unit: unit.name,
          database,
          properties: {
            encoding: str(meta['encoding']),
            collate: str(meta['collate']),
            ctype: str(meta['ctype']),
            localeProvider: str(meta['localeProvider']),
            locale: str(meta['locale']),
            owner: str(meta['owner']),
          },
          expected: { tables: num(meta['tables']), largeObjects: num(meta['largeObjects']) },
          open: () => input.open(artifact),
          env: targetEnv,
          maintenanceDatabase,
          pgRestore: tool('pg_restore'),
          force: opts.force ?? false,
          noOwner: opts.noOwner ?? false,
        },
        ctx,
      );
    },
  };
}

/**
 * Connects to `database`, or to the maintenance database (`PGDATABASE`, else `postgres`, else
 * `template1` when `postgres` was dropped) when undefined.
 */
async function openMaintenanceOr(env: NodeJS.ProcessEnv, database: string | undefined): Promise<pg.Client> {
  if (database !== undefined) return openClient(env, database, 'SOURCE_FAILED');
  if (env['PGDATABASE']) return openClient(env, env['PGDATABASE'], 'SOURCE_FAILED');
  try {
    return await openClient(env, 'postgres', 'SOURCE_FAILED');
  } catch (error) {
    if (error instanceof BackupError && error.details['pgCode'] === '3D000') {
      return openClient(env, 'template1', 'SOURCE_FAILED');
    }
    throw error;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function validateOptions(options: PostgresEngineOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `postgres engine option ${field} must be ${expected}`);
  };
  if (options.url !== undefined && (typeof options.url !== 'string' || options.url === '')) {
    invalid('url', 'a postgres:// URL');
  }
  const { databases } = options;
  if (
    databases !== undefined &&
    databases !== 'all' &&
    !(
      Array.isArray(databases) &&
      databases.length > 0 &&
      databases.every((d) => typeof d === 'string' && d.length > 0)
    )
  ) {
    invalid('databases', '"all" or a non-empty list of database names');
  }
  if (
    options.exclude !== undefined &&
    !(Array.isArray(options.exclude) && options.exclude.every((d) => typeof d === 'string'))
  ) {
    invalid('exclude', 'a list of database names');
  }
  if (options.globals !== undefined && typeof options.globals !== 'boolean')
    invalid('globals', 'true or false');
  if (options.binDir !== undefined && (typeof options.binDir !== 'string' || options.binDir === '')) {
    invalid('binDir', 'a directory path');
  }
}

function validateRestoreOptions(options: PostgresRestoreOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `postgres restore option ${field} must be ${expected}`);
  };
  if (
    options.targetUrl !== undefined &&
    (typeof options.targetUrl !== 'string' || options.targetUrl === '')
  ) {
    invalid('targetUrl', 'a postgres:// URL');
  }
  if (options.into !== undefined && (typeof options.into !== 'string' || options.into === '')) {
    invalid('into', 'a database name');
  }
  for (const flag of ['force', 'globals', 'noOwner'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') invalid(flag, 'true or false');
  }
}
