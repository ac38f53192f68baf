import type { Readable } from 'node:stream';
import { BackupError, type EngineContext, type RestoreResult, spawnSink } from '@backup/core';
import pg from 'pg';
import { createDatabaseSql, type DatabaseProperties } from './createDatabaseSql.js';
import { dbnameArg } from './dbnameArg.js';
import { feedProcess } from './feedProcess.js';
import { type DatabaseContents, inspectDatabase, isEmptyDatabase } from './inspectDatabase.js';
import { openClient } from './openClient.js';
import { serverLabel } from './serverLabel.js';

/** Input of {@link restoreDatabase}. */
export interface RestoreDatabaseInput {
  /** Unit name (the source database). */
  unit: string;
  /** Target database name. */
  database: string;
  /** Recorded properties of the source database, used when the target must be created. */
  properties: DatabaseProperties;
  /** Tables and large objects counted at backup time, reported next to the restored counts. */
  expected: { tables?: number | undefined; largeObjects?: number | undefined };
  /** Opens the dump's plaintext (checksums verified while streaming). */
  open(): Promise<Readable>;
  /** libpq environment of the target server. */
  env: NodeJS.ProcessEnv;
  /** Database to connect to for `CREATE DATABASE` and existence checks (`postgres` usually). */
  maintenanceDatabase: string;
  /** Path of pg_restore. */
  pgRestore: string;
  /** Allow restoring over a non-empty database (`--clean --if-exists`). */
  force: boolean;
  /** `--no-owner`, and no `OWNER` when creating the database. */
  noOwner: boolean;
}

/**
 * Restores one custom-format dump into a database:
 *
 * 1. If the target does not exist, `CREATE DATABASE ... TEMPLATE template0` with the recorded
 *    encoding, collation, ctype (and owner, when that role exists on the target and `noOwner` is
 *    false). If it exists and holds any relation, function, type, large object or schema outside
 *    the system schemas, or any extension besides plpgsql, it is refused unless `force`.
 * 2. Streams the dump into `pg_restore --dbname=<target> --no-password --exit-on-error
 *    --single-transaction [--clean --if-exists] [--no-owner]` (PG15 `pg_restore(1)`), so a failure
 *    leaves the target as it was. When the artifact stream fails (`CHECKSUM_MISMATCH`...) before
 *    pg_restore saw all of it, pg_restore is killed and its transaction rolls back.
 * 3. A database this call created is dropped again when the restore failed.
 *
 * @returns the target database name and, in `metadata`: `server` (`host:port`), `created`,
 *   `clean`, restored `tables` and `largeObjects`, and the `expectedTables`/`expectedLargeObjects`
 *   counted at backup time.
 * @throws BackupError `TARGET_NOT_EMPTY` naming the database and the `force` flag;
 *   `RESTORE_FAILED` with pg_restore's stderr tail (or the connection/CREATE DATABASE error); the
 *   artifact stream's error (`CHECKSUM_MISMATCH`, `DECRYPT_FAILED`); `ABORTED`.
 */
export async function restoreDatabase(
  input: RestoreDatabaseInput,
  ctx: EngineContext,
): Promise<RestoreResult> {
  const where = serverLabel(input.env);
  const admin = await openClient(input.env, input.maintenanceDatabase, 'RESTORE_FAILED');
  let created = false;
  let existed = false;
  let targetVersionNum = 0;
  try {
    targetVersionNum = Number(
      (await admin.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]!.v,
    );
    existed =
      (await admin.query('select 1 from pg_database where datname = $1', [input.database])).rowCount === 1;
    if (existed) {
      const contents = await withDatabase(input.env, input.database, inspectDatabase);
      if (!isEmptyDatabase(contents) && !input.force) {
        throw new BackupError(
          'TARGET_NOT_EMPTY',
          `Database "${input.database}" on ${where} is not empty (${describeContents(contents)}); pass ` +
            `force: true (CLI --force) to restore over it with pg_restore --clean --if-exists, or ` +
            `restore into another database with into: <new name>`,
          { details: { database: input.database, server: where, ...contents } },
        );
      }
    } else {
      let owner = input.noOwner ? undefined : input.properties.owner;
      if (owner) {
        const role = await admin.query('select 1 from pg_roles where rolname = $1', [owner]);
        if (role.rowCount !== 1) owner = undefined;
      }
      const sql = createDatabaseSql(input.database, { ...input.properties, owner }, targetVersionNum);
      ctx.logger.info({ database: input.database, server: where, sql }, 'creating database');
      try {
        await admin.query(sql);
      } catch (error) {
        throw new BackupError(
          'RESTORE_FAILED',
          `Cannot create database "${input.database}" on ${where}: ${(error as Error).message}; create ` +
            `it yourself (an existing empty database is restored into as it is) or install the locale`,
          { cause: error, details: { database: input.database, server: where } },
        );
      }
      created = true;
    }
  } finally {
    await admin.end().catch(() => {});
  }

  const clean = input.force && existed;
  try {
    await runPgRestore(input, clean, ctx);
  } catch (error) {
    if (created) await dropDatabase(input, targetVersionNum, ctx);
    throw error;
  }
  const restored = await withDatabase(input.env, input.database, inspectDatabase);
  return {
    unit: input.unit,
    target: input.database,
    metadata: {
      server: where,
      created,
      clean,
      tables: restored.tables,
      largeObjects: restored.largeObjects,
      ...(input.expected.tables === undefined ? {} : { expectedTables: input.expected.tables }),
      ...(input.expected.largeObjects === undefined
        ? {}
        : { expectedLargeObjects: input.expected.largeObjects }),
    },
  };
}

async function runPgRestore(input: RestoreDatabaseInput, clean: boolean, ctx: EngineContext): Promise<void> {
  const args = [
    `--dbname=${dbnameArg(input.database)}`,
    '--no-password',
    '--exit-on-error',
    '--single-transaction',
    ...(clean ? ['--clean', '--if-exists'] : []),
    ...(input.noOwner ? ['--no-owner'] : []),
  ];
  const plaintext = await input.open();
  ctx.logger.debug({ command: input.pgRestore, args }, `restoring ${input.unit}`);
  const child = spawnSink(input.pgRestore, args, {
    env: input.env,
    signal: ctx.signal,
    errorCode: 'RESTORE_FAILED',
    label: `pg_restore into database "${input.database}"`,
  });
  const outcome = await feedProcess(plaintext, child, { drainAfterExit: false });
  if (ctx.signal.aborted) {
    throw new BackupError('ABORTED', `Restore of ${input.unit} into "${input.database}" was aborted`, {
      cause: outcome.sourceError ?? outcome.childError,
    });
  }
  if (outcome.sourceError !== undefined) throw outcome.sourceError;
  if (outcome.childError !== undefined) {
    const error = outcome.childError;
    if (error instanceof BackupError && /role "[^"]*" does not exist/.test(error.message)) {
      throw new BackupError(
        error.code,
        `${error.message}\nRestore the globals unit first (globals: true) or pass noOwner: true (CLI --no-owner)`,
        { cause: error.cause, details: error.details },
      );
    }
    throw error;
  }
}

async function withDatabase<T>(
  env: NodeJS.ProcessEnv,
  database: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await openClient(env, database, 'RESTORE_FAILED');
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropDatabase(
  input: RestoreDatabaseInput,
  versionNum: number,
  ctx: EngineContext,
): Promise<void> {
  try {
    const admin = await openClient(input.env, input.maintenanceDatabase, 'RESTORE_FAILED');
    try {
      const force = versionNum >= 130000 ? ' WITH (FORCE)' : '';
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(input.database)}${force}`);
    } finally {
      await admin.end().catch(() => {});
    }
  } catch (error) {
    ctx.logger.warn(
      { database: input.database, err: error },
      'could not drop the database created for the failed restore; drop it by hand',
    );
  }
}

function describeContents(c: DatabaseContents): string {
  const parts = [
    [c.relations, 'relations'],
    [c.functions, 'functions'],
    [c.types, 'types'],
    [c.largeObjects, 'large objects'],
    [c.extensions, 'extensions besides plpgsql'],
    [c.schemas, 'schemas besides public'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
}
