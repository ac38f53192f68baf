import type { ConnectionOptions } from 'node:tls';
import { BackupError, type Engine, type EngineContext, type Manifest, type UnitRecord } from '@backup/core';
import {
  parseRedisUrl,
  type RedisEndpoint,
  type RedisRestoreOptions,
  type RedisTlsOptions,
  tlsConnectionOptions,
} from '@backup/redis';
import type { RestoreAdapter, RestoreCheckInput } from '../RestoreAdapter.js';
import type { RestoreFlags } from '../RestoreFlags.js';
import type { ScratchTarget } from '../ScratchTarget.js';
import type { UnitCheck } from '../UnitCheck.js';
import type { TargetDescription, UnitTarget } from '../UnitTarget.js';
import { compareKeyCounts } from './compareKeyCounts.js';
import { flushRedisTarget } from './flushRedisTarget.js';
import { inspectRedisTarget, type RedisTargetState } from './inspectRedisTarget.js';
import { rdbFilePath } from './rdbFilePath.js';
import { rdbFileSafetyEngine } from './rdbFileSafetyEngine.js';
import { recordedKeyCounts } from './recordedKeyCounts.js';
import { type RedisSafetySource, redisSafetyEngine } from './redisSafetyEngine.js';

/** Options of {@link createRedisRestoreAdapter}: the job's connection, as its engine has it. */
export interface RedisRestoreAdapterOptions {
  /** The job's `url` (its source server, the default restore target). */
  url: string;
  /** The job's `tls` files, also used for `rediss://` targets and drill servers. */
  tls?: RedisTlsOptions | undefined;
  /**
   * Builds the engine of the safety backup: the job's Redis engine pointed at `source.url`, in keys
   * mode, backing up exactly `source.databases` (no `match`). With `@backup/config`:
   * `(s) => createEngine({ ...job, url: s.url, mode: 'keys', databases: s.databases, match: undefined, cluster: s.cluster }, env)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any engine: it is only backed up with
  createEngine(source: RedisSafetySource): Engine<any>;
}

/**
 * The Redis (and FalkorDB) {@link RestoreAdapter}, for sets of `@backup/redis` (engine `redis`).
 *
 * - units: `instance` (an RDB of a standalone server: every database), `master-<host>-<port>`
 *   (RDB of a cluster master: db0), `db<N>` (keys mode: one database);
 * - flags: `--target` -> `targetUrl` (`redis://`/`rediss://`, the job's TLS files apply),
 *   `--force` -> `replace`, `--to-file PATH` -> `toFile` (RDB sets only: write the verified RDB for
 *   file placement instead of restoring over the network). `--into` is refused (`CONFIG_INVALID`:
 *   keys keep their names; another server is `--target`), as are `--globals` and `--no-owner`.
 *   There is no key-pattern selection at restore: the engine restores every key of a unit (select
 *   keys at backup time with the job's `match`, keys mode);
 * - target: the databases a unit writes to (the ones the backup recorded keys in, the unit's
 *   database in keys mode, db0 for cluster masters) must be empty, else refused without `--force`;
 *   with it, keys of the same name are replaced and other keys stay. Databases outside that scope are
 *   never looked at by the restore. With `--to-file`, a missing file is created and an existing one
 *   refused without `--force`;
 * - transactional: no (keys are restored in batches), so artifacts are always verified first;
 * - safety backup: the databases about to be written that hold keys, in keys mode, with the job's
 *   engine on the target (FalkorDB graphs included: `DUMP` carries module values); for `--to-file`,
 *   the existing files as RDB artifacts of a Redis set;
 * - drills: Redis has no namespace a restore of real keys could be redirected into (key names are
 *   the data, a database number would change what clients see), so the scratch target is the whole
 *   drill server (`--target`): it must be empty, or the drill stops with `TARGET_NOT_EMPTY` before
 *   writing; after the drill it is emptied with `FLUSHALL` (only when this drill filled it). The name
 *   prefix is not used. RDB sets from servers with modules cannot be drilled over the network (use
 *   keys mode for FalkorDB);
 * - checks: keys per database (`INFO keyspace`, what `DBSIZE` counts; summed over the masters of a
 *   cluster target) compared with the counts recorded at backup time (`compareKeyCounts`). For
 *   cluster masters (which share db0 of the target) the keys restored for the unit are compared.
 *   `--to-file` restores are checked by the engine (RDB checksum); keys are counted once the server
 *   loaded the file.
 */
export function createRedisRestoreAdapter(
  options: RedisRestoreAdapterOptions,
): RestoreAdapter<RedisRestoreOptions> {
  const tls = (host: string): ConnectionOptions => tlsConnectionOptions(host, options.tls);
  const endpointOf = (targetUrl: string | undefined): RedisEndpoint =>
    parseRedisUrl(targetUrl ?? options.url, targetUrl === undefined ? 'url' : 'target');
  /** The `--force` behind options whose `replace` the adapter set for cluster masters sharing db0. */
  const forced = new WeakMap<RedisRestoreOptions, boolean>();
  const isForced = (o: RedisRestoreOptions) => forced.get(o) ?? o.replace === true;
  /** Options made by `scratchOptions`, and the drill servers a drill of this adapter wrote to. */
  const scratchOptionSet = new WeakSet<RedisRestoreOptions>();
  const filledDrillServers = new Set<string>();

  /** The databases `unit` writes to (its scope), in order. */
  const scopeOf = (unit: UnitRecord, o: RedisRestoreOptions): number[] => {
    if (unit.kind === 'database') return [typeof unit.metadata['db'] === 'number' ? unit.metadata['db'] : 0];
    if (unit.kind === 'master') return [0];
    const recorded = [...(recordedKeyCounts(unit).keys?.keys() ?? [])];
    return recorded
      .filter((db) => o.databases === undefined || o.databases.includes(db))
      .sort((a, b) => a - b);
  };
  const dbList = (dbs: readonly number[]) =>
    dbs.length === 0 ? 'db0' : dbs.map((db) => `db${db}`).join(', ');
  const holding = (state: RedisTargetState, dbs: readonly number[]) =>
    dbs
      .filter((db) => (state.keys.get(db) ?? 0) > 0)
      .map((db) => `db${db} (${state.keys.get(db)} keys)`)
      .join(', ');

  return {
    engine: 'redis',
    transactional: false,

    defaultUnits(manifest: Manifest, _flags: RestoreFlags): string[] {
      return manifest.units.map((u) => u.name);
    },

    restoreOptions(flags: RestoreFlags, units: readonly UnitRecord[]): RedisRestoreOptions {
      if (flags.into !== undefined) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--into does not apply to Redis: keys are restored under their own names; restore to another server with --target',
        );
      }
      if (flags.globals === true || flags.noOwner === true) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--globals and --no-owner are PostgreSQL flags; Redis has neither',
        );
      }
      if (flags.toFile !== undefined) {
        const keysUnits = units.filter((u) => u.kind === 'database').map((u) => u.name);
        if (keysUnits.length > 0) {
          throw new BackupError(
            'CONFIG_INVALID',
            `--to-file writes RDB files, but ${keysUnits.join(', ')} ${keysUnits.length > 1 ? 'are' : 'is a'} keys-mode ` +
              'unit(s): restore them over the network (without --to-file)',
          );
        }
        if (flags.target !== undefined) {
          throw new BackupError(
            'CONFIG_INVALID',
            '--to-file writes a file and restores to no server: leave out --target',
          );
        }
      }
      if (flags.target !== undefined) parseRedisUrl(flags.target, 'target');
      const force = flags.force === true;
      const masters = units.filter((u) => u.kind === 'master').length;
      const restore: RedisRestoreOptions = {
        ...(flags.target === undefined ? {} : { targetUrl: flags.target }),
        ...(flags.toFile === undefined ? {} : { toFile: flags.toFile }),
        // The masters of a cluster set all go to db0 of the target, one restore call each: the plan
        // checked db0 was empty (or --force), so masters after the first must not be refused for the
        // keys of the ones before (their slots, hence keys, are disjoint).
        replace: force || (flags.toFile === undefined && masters > 1),
      };
      forced.set(restore, force);
      return restore;
    },

    async describeTarget(
      units: readonly UnitRecord[],
      target: RedisRestoreOptions,
      ctx: EngineContext,
    ): Promise<TargetDescription> {
      const force = isForced(target);
      if (target.toFile !== undefined) {
        const files = await Promise.all(units.map((u) => rdbFilePath(target.toFile!, u.name)));
        const paths = new Set(files.map((f) => f.path));
        if (paths.size < files.length) {
          throw new BackupError(
            'CONFIG_INVALID',
            `--to-file ${target.toFile} is a file, and ${units.length} units would all be written to it: give an existing directory (one file per master)`,
          );
        }
        return {
          server: 'local files',
          units: units.map((unit, i): UnitTarget => {
            const file = files[i]!;
            const base = { unit: unit.name, kind: unit.kind, target: file.path };
            if (!file.exists) {
              return {
                ...base,
                action: 'create',
                detail:
                  'absent: the verified RDB is written there; then stop the server, place it as dump.rdb, start it (docs/redis.md)',
              };
            }
            return force
              ? { ...base, action: 'overwrite', detail: `file exists (${file.bytes} bytes); it is replaced` }
              : {
                  ...base,
                  action: 'refuse',
                  detail: `file exists (${file.bytes} bytes); refused without --force`,
                };
          }),
        };
      }
      const endpoint = endpointOf(target.targetUrl);
      const state = await inspectRedisTarget(endpoint, tls, ctx);
      if (scratchOptionSet.has(target) && state.keys.size === 0) {
        filledDrillServers.add(target.targetUrl ?? options.url);
      }
      const described = units.map((unit): UnitTarget => {
        const scope = scopeOf(unit, target);
        const base = { unit: unit.name, kind: unit.kind, target: dbList(scope) };
        if (
          unit.kind === 'database' &&
          target.databases !== undefined &&
          !target.databases.includes(scope[0]!)
        ) {
          return { ...base, action: 'skip', detail: `db${scope[0]} is not among the databases to restore` };
        }
        if (state.cluster && scope.some((db) => db !== 0)) {
          throw new BackupError(
            'CONFIG_INVALID',
            `${state.server} is a Redis Cluster, which has only db0; unit ${unit.name} has keys in ${dbList(scope)}: ` +
              'restore it into a standalone server',
          );
        }
        const others = [...state.keys.keys()].filter((db) => !scope.includes(db)).sort((a, b) => a - b);
        const untouched = others.length === 0 ? '' : `; ${holding(state, others)} not touched`;
        const busy = holding(state, scope);
        if (busy === '') {
          return { ...base, action: 'restore', detail: `empty${untouched}` };
        }
        return force
          ? {
              ...base,
              action: 'overwrite',
              detail: `holds ${busy}; keys of the backup replace keys of the same name, others stay${untouched}`,
            }
          : { ...base, action: 'refuse', detail: `holds ${busy}; refused without --force${untouched}` };
      });
      return { server: state.cluster ? `${state.server} (cluster)` : state.server, units: described };
    },

    safetyBackupEngine(overwritten: readonly UnitTarget[], target: RedisRestoreOptions) {
      if (target.toFile !== undefined) {
        return rdbFileSafetyEngine(overwritten.map((t) => ({ unit: t.unit, path: t.target })));
      }
      const databases = [
        ...new Set(
          overwritten.flatMap((t) => [...t.target.matchAll(/\bdb(\d+)\b/g)].map((m) => Number(m[1]))),
        ),
      ].sort((a, b) => a - b);
      return redisSafetyEngine({
        endpoint: endpointOf(target.targetUrl),
        url: target.targetUrl ?? options.url,
        databases,
        tls,
        create: options.createEngine,
      });
    },

    scratchOptions(_unit: UnitRecord, scratch: ScratchTarget): RedisRestoreOptions {
      parseRedisUrl(scratch.url, 'drill target');
      const scratchOptions: RedisRestoreOptions = { targetUrl: scratch.url, replace: false };
      scratchOptionSet.add(scratchOptions);
      forced.set(scratchOptions, false);
      return scratchOptions;
    },

    async removeScratch(_unit: UnitRecord, scratch: ScratchTarget, ctx: EngineContext): Promise<void> {
      const state = await inspectRedisTarget(parseRedisUrl(scratch.url, 'drill target'), tls, ctx);
      if (filledDrillServers.has(scratch.url)) {
        if (state.keys.size > 0) await flushRedisTarget(state, tls, ctx);
        filledDrillServers.delete(scratch.url);
        return;
      }
      if (state.keys.size === 0) return;
      throw new BackupError(
        'TARGET_NOT_EMPTY',
        `The Redis drill server ${state.server} holds keys (${holding(
          state,
          [...state.keys.keys()].sort((a, b) => a - b),
        )}): ` +
          'a Redis drill restores keys under their own names and needs a dedicated, empty server. Empty it ' +
          '(redis-cli FLUSHALL) if it only holds what an interrupted drill left',
        { details: { server: state.server } },
      );
    },

    async check(input: RestoreCheckInput<RedisRestoreOptions>, ctx: EngineContext): Promise<UnitCheck> {
      const { unit, result, options: target } = input;
      const meta = result.metadata;
      const recorded = recordedKeyCounts(unit);
      if (meta['skipped'] === true) {
        return {
          unit: unit.name,
          target: result.target,
          ok: true,
          compared: false,
          summary: `skipped: ${String(meta['reason'] ?? 'not restored')}`,
          items: [],
          warnings: [],
        };
      }
      if (meta['mode'] === 'file') {
        const keys = [...(recorded.keys ?? new Map<number, number>())].sort(([a], [b]) => a - b);
        return {
          unit: unit.name,
          target: result.target,
          ok: true,
          compared: false,
          summary:
            `RDB written to ${result.target} (${String(meta['bytes'])} bytes, RDB ${String(meta['rdbVersion'])}, ` +
            `checksum ${String(meta['checksum'])}); keys are counted once a server loaded it` +
            (keys.length === 0
              ? ''
              : `: the backup had ${keys.map(([db, n]) => `db${db} ${n} keys`).join(', ')}`),
          items: keys.map(([db, n]) => ({
            name: `db${db}`,
            kind: 'keys',
            expected: n,
            status: 'info' as const,
          })),
          warnings: [],
        };
      }
      const state = await inspectRedisTarget(endpointOf(target.targetUrl), tls, ctx);
      const sentRaw = meta['keys'];
      const sent =
        typeof sentRaw === 'object' && sentRaw !== null
          ? new Map(
              Object.entries(sentRaw as Record<string, unknown>)
                .filter(([name, n]) => /^db\d+$/.test(name) && typeof n === 'number')
                .map(([name, n]) => [Number(name.slice(2)), n as number]),
            )
          : undefined;
      const scope = [
        ...new Set([...scopeOf(unit, target), ...(unit.kind === 'instance' ? (sent?.keys() ?? []) : [])]),
      ];
      const warnings: string[] = [];
      let actual: ReadonlyMap<number, number> = state.keys;
      if (unit.kind === 'master') {
        // Masters of a cluster set share db0 of the target: count what this unit restored.
        actual = new Map([[0, Number(meta['restoredKeys'] ?? 0)]]);
        warnings.push(
          `db0 of ${state.server} holds ${state.keys.get(0) ?? 0} keys in all (the masters of the set share it)`,
        );
      }
      const check = compareKeyCounts({
        unit: unit.name,
        target: `${result.target} ${dbList(scope)}`,
        recorded,
        databases: scope,
        actual,
        sent,
        expired: Number(meta['expired'] ?? 0),
        duplicates: Number(meta['duplicates'] ?? 0),
        replace: isForced(target),
      });
      return { ...check, warnings: [...check.warnings, ...warnings] };
    },
  };
}
