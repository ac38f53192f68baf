import {
  BackupError,
  type Engine,
  type EngineContext,
  isBackupError,
  type Manifest,
  type UnitRecord,
} from '@backup/core';
import {
  createDriver,
  listDatabases,
  NEO4J_URI_SCHEME,
  type Neo4jConnectionOptions,
  type Neo4jDriverLike,
  type Neo4jQueryRunner,
  type Neo4jRestoreOptions,
  readServerInfo,
} from '@backup/neo4j';
import type { RestoreAdapter, RestoreCheckInput } from '../RestoreAdapter.js';
import type { RestoreFlags } from '../RestoreFlags.js';
import type { ScratchTarget } from '../ScratchTarget.js';
import type { UnitCheck } from '../UnitCheck.js';
import type { TargetDescription, UnitTarget } from '../UnitTarget.js';
import { compareGraphCounts, recordedGraphCounts } from './compareGraphCounts.js';
import { countGraph } from './countGraph.js';
import { dropDatabaseQuery } from './cypher.js';
import { type GraphDatabaseContents, inspectGraphDatabase } from './inspectGraphDatabase.js';
import { scratchGraphName } from './scratchGraphName.js';
import { wipeGraphDatabase } from './wipeGraphDatabase.js';

/** What the safety backup of a Neo4j restore backs up: these databases of this server. */
export interface Neo4jSafetySource {
  /** Server URI (the restore's `--target`); `undefined`: the job's own `uri`. */
  uri?: string | undefined;
  /** A driver for that server, when the adapter was given one (tests); the engine never closes it. */
  driver?: Neo4jDriverLike | undefined;
  /** The target databases about to be wiped and restored. */
  databases: string[];
}

/** Options of {@link createNeo4jRestoreAdapter}: the job's connection, as its engine has it. */
export interface Neo4jRestoreAdapterOptions {
  /** The job's `uri` (its source server, the default restore target). */
  uri?: string | undefined;
  /** The job's credentials and TLS, also used for `--target` servers and drill servers. */
  connection?: Omit<Neo4jConnectionOptions, 'uri'> | undefined;
  /** A driver for the job's own server instead of one built from `uri` (tests); never closed. */
  driver?: Neo4jDriverLike | undefined;
  /**
   * Drivers for other servers (`--target`, drill servers) instead of ones built from the URI with
   * `connection` (tests: doubles). Their drivers are passed to the engine as `targetDriver` and
   * never closed by the adapter.
   */
  driverFor?: ((uri: string) => Neo4jDriverLike) | undefined;
  /**
   * Builds the engine of the safety backup: the job's Neo4j engine pointed at `source.uri` (or
   * `source.driver`), backing up exactly `source.databases`. With `@backup/config`:
   * `(s) => createEngine({ ...job, uri: s.uri ?? job.uri, databases: s.databases }, env)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any engine: it is only backed up with
  createEngine(source: Neo4jSafetySource): Engine<any>;
}

/**
 * The Neo4j {@link RestoreAdapter}, for sets of `@backup/neo4j` (engine `neo4j`).
 *
 * - units: one `graph` per database;
 * - flags: `--target` -> `targetUri` (`neo4j://`, `bolt://` and their `+s`/`+ssc` forms; the job's
 *   credentials and TLS apply), `--into NAME` -> `database` (one unit only), `--force` -> `force`;
 *   `--globals`, `--no-owner` and `--to-file` are refused;
 * - target: a missing database is created on Enterprise Edition (Community Edition has its one
 *   user database: a missing one is refused at planning, `CONFIG_INVALID`, restore `--into neo4j`);
 *   an empty one (no node, no constraint, only the token lookup indexes) is restored into; a
 *   non-empty one is refused without `--force`, and wiped first with it (constraints, indexes, every
 *   node and relationship), so it ends up holding exactly the backup;
 * - transactional: no (batches commit one by one), so artifacts are always verified first;
 * - safety backup: the databases about to be wiped, with the job's engine on the target;
 * - drills: Enterprise: database `<db>` of job `<job>` goes to `<prefix><job>-<db>` (a valid Neo4j
 *   name, `scratchGraphName`) on the drill server, dropped before and after (`DROP DATABASE`).
 *   Community Edition cannot create databases, so there the scratch target is the drill server's
 *   default database: it must be empty (`TARGET_NOT_EMPTY` before anything is written otherwise)
 *   and is emptied after the drill, only when this drill filled it. The edition is read when the
 *   drill starts (`removeScratch`);
 * - checks: nodes and relationships, in total and per label and type (`countGraph`), compared with
 *   the counts the export recorded (`compareGraphCounts`).
 */
export function createNeo4jRestoreAdapter(
  options: Neo4jRestoreAdapterOptions,
): RestoreAdapter<Neo4jRestoreOptions> {
  const connection = options.connection ?? {};
  /** Drill servers (by URL) found to run Community Edition, and their default database. */
  const communityDrillDatabase = new Map<string, string>();
  /** Options made by `scratchOptions`, and the Community drill databases a drill of this adapter filled. */
  const scratchOptionSet = new WeakSet<Neo4jRestoreOptions>();
  const filledDrillDatabases = new Set<string>();

  const label = (uri: string | undefined): string => {
    const given = uri ?? options.uri;
    if (given === undefined) return '(injected driver)';
    try {
      const url = new URL(given);
      return `${url.hostname}:${url.port === '' ? '7687' : url.port}`;
    } catch {
      return '(invalid uri)';
    }
  };
  /** Runs `fn` with a driver for `uri` (default: the job's server), closing it when the adapter made it. */
  const withDriver = async <T>(
    uri: string | undefined,
    given: Neo4jDriverLike | undefined,
    fn: (driver: Neo4jDriverLike) => Promise<T>,
  ): Promise<T> => {
    const injected = given ?? (uri === undefined ? options.driver : options.driverFor?.(uri));
    const driver = injected ?? createDriver({ ...connection, uri: uri ?? options.uri ?? '' });
    try {
      return await fn(driver);
    } catch (error) {
      // The engine's helpers report an unreachable server as SOURCE_FAILED; here it is the target.
      if (isBackupError(error) && error.code === 'SOURCE_FAILED') {
        throw new BackupError('RESTORE_FAILED', `${label(uri)}: ${error.message}`, {
          cause: error,
          details: error.details,
        });
      }
      if (isBackupError(error)) throw error;
      throw new BackupError('RESTORE_FAILED', `Reading ${label(uri)} failed: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      if (!injected) await driver.close().catch(() => {});
    }
  };
  const read = async <T>(
    driver: Neo4jDriverLike,
    database: string,
    work: (tx: Neo4jQueryRunner) => Promise<T>,
  ): Promise<T> => {
    const session = driver.session({ database, defaultAccessMode: 'READ' });
    try {
      return await session.executeRead(work);
    } finally {
      await session.close().catch(() => {});
    }
  };
  const targetFor = (uri: string): Pick<Neo4jRestoreOptions, 'targetUri' | 'targetDriver'> => {
    if (!NEO4J_URI_SCHEME.test(uri)) {
      throw new BackupError(
        'CONFIG_INVALID',
        'target must be a neo4j://, neo4j+s://, neo4j+ssc://, bolt://, bolt+s:// or bolt+ssc:// URI',
      );
    }
    const driver = options.driverFor?.(uri);
    return { targetUri: uri, ...(driver === undefined ? {} : { targetDriver: driver }) };
  };
  const databaseOf = (unit: UnitRecord, o: Neo4jRestoreOptions) => o.database ?? unit.name;

  return {
    engine: 'neo4j',
    transactional: false,

    defaultUnits(manifest: Manifest, _flags: RestoreFlags): string[] {
      return manifest.units.filter((u) => u.kind === 'graph').map((u) => u.name);
    },

    restoreOptions(flags: RestoreFlags, units: readonly UnitRecord[]): Neo4jRestoreOptions {
      if (flags.globals === true || flags.noOwner === true) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--globals and --no-owner are PostgreSQL flags; Neo4j has neither',
        );
      }
      if (flags.toFile !== undefined) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--to-file is a Redis flag; Neo4j sets restore into a database',
        );
      }
      if (flags.into !== undefined && units.length !== 1) {
        throw new BackupError(
          'CONFIG_INVALID',
          `--into needs exactly one database (chosen: ${units.map((u) => u.name).join(', ') || 'none'}); pick one with --database`,
        );
      }
      return {
        ...(flags.target === undefined ? {} : targetFor(flags.target)),
        ...(flags.into === undefined ? {} : { database: flags.into }),
        force: flags.force === true,
      };
    },

    async describeTarget(
      units: readonly UnitRecord[],
      target: Neo4jRestoreOptions,
      _ctx: EngineContext,
    ): Promise<TargetDescription> {
      return withDriver(target.targetUri, target.targetDriver, async (driver) => {
        const server = await readServerInfo(driver);
        const databases = await listDatabases(driver);
        const described: UnitTarget[] = [];
        for (const unit of units) {
          if (unit.kind !== 'graph') {
            throw new BackupError(
              'RESTORE_FAILED',
              `The neo4j engine cannot restore unit kind "${unit.kind}"`,
            );
          }
          const database = databaseOf(unit, target);
          const base = { unit: unit.name, kind: unit.kind, target: database };
          const existing = databases.find((d) => d.name === database);
          if (!existing) {
            if (server.edition !== 'enterprise') {
              throw new BackupError(
                'CONFIG_INVALID',
                `Database ${database} does not exist on ${label(target.targetUri)}, and ${server.edition} edition cannot ` +
                  `create databases: restore into its database with --into ${databases.find((d) => d.isDefault)?.name ?? 'neo4j'}`,
              );
            }
            described.push({
              ...base,
              action: 'create',
              detail: 'absent: created (CREATE DATABASE ... WAIT)',
            });
            continue;
          }
          if (existing.type !== 'standard') {
            throw new BackupError('CONFIG_INVALID', `Database ${database} is a ${existing.type} database`);
          }
          const contents: GraphDatabaseContents = await read(driver, database, (tx) =>
            inspectGraphDatabase(tx),
          );
          if (contents.empty) {
            if (scratchOptionSet.has(target)) {
              filledDrillDatabases.add(`${target.targetUri ?? ''}\u0000${database}`);
            }
            described.push({ ...base, action: 'restore', detail: 'exists, empty' });
            continue;
          }
          const holds =
            `${contents.nodes} nodes, ${contents.relationships} relationships, ` +
            `${contents.constraints.length} constraints, ${contents.indexes.length} indexes`;
          described.push(
            target.force
              ? {
                  ...base,
                  action: 'overwrite',
                  detail: `holds ${holds}; all of it is deleted first, then the backup is restored`,
                }
              : { ...base, action: 'refuse', detail: `holds ${holds}; refused without --force` },
          );
        }
        return {
          server: `${label(target.targetUri)} (${server.edition} ${server.version})`,
          units: described,
        };
      });
    },

    safetyBackupEngine(overwritten: readonly UnitTarget[], target: Neo4jRestoreOptions) {
      return options.createEngine({
        ...(target.targetUri === undefined ? {} : { uri: target.targetUri }),
        ...(target.targetDriver === undefined
          ? target.targetUri === undefined && options.driver !== undefined
            ? { driver: options.driver }
            : {}
          : { driver: target.targetDriver }),
        databases: overwritten.map((t) => t.target),
      });
    },

    scratchOptions(unit: UnitRecord, scratch: ScratchTarget): Neo4jRestoreOptions {
      if (unit.kind !== 'graph') {
        throw new BackupError(
          'CONFIG_INVALID',
          `Drills restore graphs, not the ${unit.kind} unit ${unit.name}`,
        );
      }
      const name = scratchGraphName(scratch.prefix, scratch.job, unit.name); // validates the prefix
      const scratchOptions: Neo4jRestoreOptions = {
        ...targetFor(scratch.url),
        database: communityDrillDatabase.get(scratch.url) ?? name,
        force: false,
      };
      scratchOptionSet.add(scratchOptions);
      return scratchOptions;
    },

    async removeScratch(unit: UnitRecord, scratch: ScratchTarget, ctx: EngineContext): Promise<void> {
      const { targetUri, targetDriver } = targetFor(scratch.url);
      await withDriver(targetUri, targetDriver, async (driver) => {
        const server = await readServerInfo(driver);
        const databases = await listDatabases(driver);
        if (server.edition === 'enterprise') {
          communityDrillDatabase.delete(scratch.url);
          const name = scratchGraphName(scratch.prefix, scratch.job, unit.name);
          if (!databases.some((d) => d.name === name)) return;
          const session = driver.session({ database: 'system', defaultAccessMode: 'WRITE' });
          try {
            await session.run(dropDatabaseQuery(name));
          } finally {
            await session.close().catch(() => {});
          }
          return;
        }
        const database =
          databases.find((d) => d.isDefault && d.type === 'standard')?.name ??
          databases.find((d) => d.type === 'standard')?.name ??
          'neo4j';
        communityDrillDatabase.set(scratch.url, database);
        const contents = await read(driver, database, (tx) => inspectGraphDatabase(tx));
        const key = `${targetUri}\u0000${database}`;
        if (filledDrillDatabases.has(key)) {
          if (!contents.empty) {
            const session = driver.session({ database, defaultAccessMode: 'WRITE' });
            try {
              await wipeGraphDatabase(session, contents, ctx.signal);
            } finally {
              await session.close().catch(() => {});
            }
          }
          filledDrillDatabases.delete(key);
          return;
        }
        if (contents.empty) return;
        throw new BackupError(
          'TARGET_NOT_EMPTY',
          `The drill server ${label(targetUri)} runs Neo4j ${server.edition} edition, which cannot create scratch ` +
            `databases, so drills restore into its database ${database}, which holds ${contents.nodes} nodes and ` +
            `${contents.constraints.length} constraints: use a dedicated, empty drill server (or Enterprise Edition). ` +
            'Empty it if it only holds what an interrupted drill left',
          { details: { server: label(targetUri), database } },
        );
      });
    },

    async check(input: RestoreCheckInput<Neo4jRestoreOptions>, _ctx: EngineContext): Promise<UnitCheck> {
      const { unit, result, options: target } = input;
      const database = databaseOf(unit, target);
      const restored = await withDriver(target.targetUri, target.targetDriver, (driver) =>
        read(driver, database, (tx) => countGraph(tx)),
      );
      return compareGraphCounts(
        unit.name,
        `${label(target.targetUri)}/${database}`,
        recordedGraphCounts(unit.metadata),
        restored,
        Number(result.metadata['danglingRelationships'] ?? 0),
      );
    },
  };
}
