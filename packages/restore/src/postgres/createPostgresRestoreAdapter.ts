import { BackupError, type Engine, type EngineContext, type Manifest, type UnitRecord } from '@backup/core';
import type { RestoreAdapter, RestoreCheckInput } from '../RestoreAdapter.js';
import type { RestoreFlags } from '../RestoreFlags.js';
import type { ScratchTarget } from '../ScratchTarget.js';
import type { UnitCheck } from '../UnitCheck.js';
import type { TargetDescription, UnitTarget } from '../UnitTarget.js';
import { compareTableCounts, recordedTables } from './compareTableCounts.js';
import { countTables } from './countTables.js';
import { inspectTargets } from './inspectTargets.js';
import type { PostgresTargetOptions } from './PostgresTargetOptions.js';
import { psqlConnection } from './psqlConnection.js';
import { quoteIdentifier } from './quoteIdentifier.js';
import { resolvePsql } from './resolvePsql.js';
import { runPsql } from './runPsql.js';
import { scratchDatabaseName } from './scratchDatabaseName.js';

/** What the safety backup of a PostgreSQL restore backs up: these databases of this server. */
export interface PostgresSafetySource {
  /** Server URL (the restore's `--target`); `undefined`: the job's own connection. */
  url?: string | undefined;
  /** The target databases about to be overwritten. */
  databases: string[];
}

/** Options of {@link createPostgresRestoreAdapter}: the job's connection, as its engine has it. */
export interface PostgresRestoreAdapterOptions {
  /** The job's `url` (its source server, the default restore target); default: the libpq environment. */
  url?: string | undefined;
  /** libpq environment (`PGHOST`, `PGPASSWORD`...), the same the engine got; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** The job's `binDir` (where `psql` is); default as the engine picks its tools. */
  binDir?: string | undefined;
  /**
   * Builds the engine of the safety backup: the job's PostgreSQL engine re-pointed at `source.url`,
   * backing up exactly `source.databases`, without `globals`. With `@backup/config`:
   * `(s) => createEngine({ ...job, url: s.url ?? job.url, databases: s.databases, exclude: [], globals: false }, env)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any engine: it is only backed up with
  createEngine(source: PostgresSafetySource): Engine<any>;
}

/**
 * The PostgreSQL {@link RestoreAdapter}, for sets of `@backup/postgres` (engine `postgres`). It talks
 * to the target with `psql` (no driver dependency) as the engine connects: the target URL's password
 * goes to `PGPASSWORD`, never argv.
 *
 * - units: `database` units (and `globals`, roles and tablespaces, only with `--globals`);
 * - flags: `--target` -> `targetUrl`, `--into` (one database only), `--force`, `--globals`,
 *   `--no-owner`;
 * - target: a missing database is created, an empty one restored into, a non-empty one refused
 *   without `--force` and overwritten with it (`pg_restore --clean --if-exists` in one transaction:
 *   objects of the dump are replaced, others stay);
 * - transactional: yes (a failed stream rolls the transaction back), so artifacts are verified
 *   before the restore only when something is overwritten (the flow's default);
 * - safety backup: the overwritten databases of the target server, with the job's engine;
 * - drills: database `<db>` of job `<job>` goes to `<prefix><job>_<db>` on the drill server
 *   (`--no-owner`, no globals), dropped before and after (`DROP DATABASE ... WITH (FORCE)` on 13+);
 * - checks: exact `count(*)` of every user table and its size, compared with the `tableStats`
 *   recorded at backup time (taken in the dump's own snapshot).
 */
export function createPostgresRestoreAdapter(
  options: PostgresRestoreAdapterOptions,
): RestoreAdapter<PostgresTargetOptions> {
  const env = options.env ?? process.env;
  const psql = resolvePsql(options.binDir);
  const serverOf = (targetUrl: string | undefined) => targetUrl ?? options.url;

  return {
    engine: 'postgres',
    transactional: true,

    defaultUnits(manifest: Manifest, flags: RestoreFlags): string[] {
      return manifest.units
        .filter((u) => u.kind === 'database' || (flags.globals === true && u.kind === 'globals'))
        .map((u) => u.name);
    },

    restoreOptions(flags: RestoreFlags, units: readonly UnitRecord[]): PostgresTargetOptions {
      if (flags.toFile !== undefined) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--to-file is a Redis flag; PostgreSQL sets restore into a server',
        );
      }
      const databases = units.filter((u) => u.kind === 'database').map((u) => u.name);
      if (flags.into !== undefined && databases.length !== 1) {
        throw new BackupError(
          'CONFIG_INVALID',
          `--into needs exactly one database (chosen: ${databases.join(', ') || 'none'}); pick one with --database`,
        );
      }
      return {
        ...(flags.target === undefined ? {} : { targetUrl: flags.target }),
        ...(flags.into === undefined ? {} : { into: flags.into }),
        force: flags.force === true,
        globals: flags.globals === true || units.some((u) => u.kind === 'globals'),
        noOwner: flags.noOwner === true,
      };
    },

    async describeTarget(
      units: readonly UnitRecord[],
      target: PostgresTargetOptions,
      ctx: EngineContext,
    ): Promise<TargetDescription> {
      const url = serverOf(target.targetUrl);
      const server = psqlConnection(url, env, undefined).server;
      const databaseOf = (u: UnitRecord) => target.into ?? u.name;
      const databases = units.filter((u) => u.kind === 'database').map(databaseOf);
      const states = new Map(
        (await inspectTargets(psql, url, env, databases, ctx)).map((s) => [s.database, s]),
      );
      const described: UnitTarget[] = units.map((unit) => {
        if (unit.kind === 'globals') {
          return target.globals
            ? {
                unit: unit.name,
                kind: unit.kind,
                target: 'roles and tablespaces',
                action: 'restore',
                detail: 'replayed with psql; roles that exist already are reported as warnings',
              }
            : {
                unit: unit.name,
                kind: unit.kind,
                target: 'roles and tablespaces',
                action: 'skip',
                detail: 'restored only with --globals',
              };
        }
        if (unit.kind !== 'database') {
          throw new BackupError(
            'RESTORE_FAILED',
            `The postgres engine cannot restore unit kind "${unit.kind}"`,
          );
        }
        const state = states.get(databaseOf(unit))!;
        const base = { unit: unit.name, kind: unit.kind, target: state.database };
        if (!state.exists) {
          return {
            ...base,
            action: 'create',
            detail: 'absent: created with the recorded encoding and locale',
          };
        }
        if (state.empty) return { ...base, action: 'restore', detail: 'exists, empty' };
        const holds = Object.entries(state.contents)
          .filter(([, n]) => n > 0)
          .map(([what, n]) => `${n} ${what}`)
          .join(', ');
        return target.force
          ? {
              ...base,
              action: 'overwrite',
              detail: `holds ${holds}; the dump's objects are dropped and recreated (pg_restore --clean --if-exists), others stay`,
            }
          : { ...base, action: 'refuse', detail: `holds ${holds}; refused without --force` };
      });
      return { server, units: described };
    },

    safetyBackupEngine(overwritten: readonly UnitTarget[], target: PostgresTargetOptions) {
      return options.createEngine({
        url: serverOf(target.targetUrl),
        databases: overwritten.filter((t) => t.kind === 'database').map((t) => t.target),
      });
    },

    scratchOptions(unit: UnitRecord, scratch: ScratchTarget): PostgresTargetOptions {
      if (unit.kind !== 'database') {
        throw new BackupError(
          'CONFIG_INVALID',
          `Drills restore databases, not the ${unit.kind} unit ${unit.name}`,
        );
      }
      return {
        targetUrl: scratch.url,
        into: scratchDatabaseName(scratch.prefix, scratch.job, unit.name),
        force: false,
        globals: false,
        noOwner: true,
      };
    },

    async removeScratch(unit: UnitRecord, scratch: ScratchTarget, ctx: EngineContext): Promise<void> {
      const name = scratchDatabaseName(scratch.prefix, scratch.job, unit.name);
      const maintenance = psqlConnection(scratch.url, env, undefined);
      const [version] = await runPsql(
        psql,
        maintenance,
        "select current_setting('server_version_num');\n",
        ctx,
      );
      const force = Number(version) >= 130000 ? ' with (force)' : '';
      await runPsql(psql, maintenance, `drop database if exists ${quoteIdentifier(name)}${force};\n`, ctx, {
        label: `psql dropping scratch database "${name}" on ${maintenance.server}`,
      });
    },

    async check(input: RestoreCheckInput<PostgresTargetOptions>, ctx: EngineContext): Promise<UnitCheck> {
      const { unit, result } = input;
      if (result.metadata['skipped'] === true || unit.kind === 'globals') {
        return {
          unit: unit.name,
          target: result.target,
          ok: true,
          compared: false,
          summary:
            result.metadata['skipped'] === true
              ? `skipped: ${String(result.metadata['reason'] ?? 'not restored')}`
              : 'roles and tablespaces replayed (nothing to count)',
          items: [],
          warnings: [],
        };
      }
      const connection = psqlConnection(serverOf(input.options.targetUrl), env, result.target);
      const restored = await countTables(psql, connection, ctx);
      return compareTableCounts(unit.name, result.target, recordedTables(unit.metadata), restored);
    },
  };
}
