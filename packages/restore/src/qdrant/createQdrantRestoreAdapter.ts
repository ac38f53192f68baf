import { BackupError, type Engine, type EngineContext, type Manifest, type UnitRecord } from '@backup/core';
import { QdrantConnection, type QdrantRestoreOptions } from '@backup/qdrant';
import { lazyEngine } from '../lazyEngine.js';
import type { RestoreAdapter, RestoreCheckInput } from '../RestoreAdapter.js';
import type { RestoreFlags } from '../RestoreFlags.js';
import type { ScratchTarget } from '../ScratchTarget.js';
import type { UnitCheck } from '../UnitCheck.js';
import type { TargetDescription, UnitTarget } from '../UnitTarget.js';
import { comparePointCounts, recordedPoints } from './comparePointCounts.js';
import { type CollectionState, inspectCollection } from './inspectCollection.js';
import { scratchCollectionName } from './scratchCollectionName.js';

/** What the safety backup of a Qdrant restore backs up: these collections of this deployment. */
export interface QdrantSafetySource {
  /** Target node (single node), or `undefined` with `nodes`. */
  url?: string | undefined;
  /** Target cluster nodes, or `undefined` with `url`. */
  nodes?: string[] | undefined;
  /** The collections about to be replaced that hold points. */
  collections: string[];
  /** `export` for export jobs, else `snapshot` (also for `full` jobs: the safety set has one unit per collection). */
  mode: 'snapshot' | 'export';
}

/** Options of {@link createQdrantRestoreAdapter}: the job's deployment, as its engine has it. */
export interface QdrantRestoreAdapterOptions {
  /** The job's `url` (single node); exactly one of `url` / `nodes`. */
  url?: string | undefined;
  /** The job's `nodes` (every node of a cluster). */
  nodes?: string[] | undefined;
  /** The job's `apiKey`; default `env.QDRANT_API_KEY`. Also used for `--target` and drill servers. */
  apiKey?: string | undefined;
  /** Environment for `QDRANT_API_KEY`; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** The job's `mode` (`snapshot`, `full`, `export`): the safety backup uses `export` for export jobs. */
  mode?: 'snapshot' | 'full' | 'export' | undefined;
  /** The job's `timeoutMs` for the adapter's requests; default 300,000. */
  timeoutMs?: number | undefined;
  /**
   * Builds the engine of the safety backup: the job's Qdrant engine pointed at `source.url` /
   * `source.nodes`, backing up exactly `source.collections` in `source.mode`. With `@backup/config`:
   * `(s) => createEngine({ ...job, url: s.url, nodes: s.nodes, collections: s.collections, exclude: [], mode: s.mode }, env)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any engine: it is only backed up with
  createEngine(source: QdrantSafetySource): Engine<any>;
}

/**
 * The Qdrant {@link RestoreAdapter}, for sets of `@backup/qdrant` (engine `qdrant`).
 *
 * - units: one `collection` per collection (snapshot and export sets), or `storage` (kind
 *   `full-snapshot`: every collection and alias of a node);
 * - flags: `--target` -> `targetUrl` (one node) or `targetNodes` (comma-separated node URLs of a
 *   cluster; the job's API key is sent), `--into NAME` -> `into` (one collection unit only),
 *   `--force` -> `replace`; `--globals`, `--no-owner` and `--to-file` are refused;
 * - target: a missing collection is created, an existing empty one restored into (recreated from
 *   the snapshot), one holding points refused without `--force` and replaced with it (also the
 *   aliases of a full snapshot that point elsewhere);
 * - transactional: no (a collection is recovered or imported in steps), so artifacts are always
 *   verified first;
 * - safety backup: the collections about to be replaced that hold points, with the job's engine on
 *   the target (mode `export` for export jobs, else `snapshot`), one unit per collection;
 * - drills: collection `<c>` of job `<job>` goes to `<prefix><job>_<c>` on the drill node(s), deleted
 *   before and after; full-snapshot sets cannot be drilled (their collections keep their names:
 *   `CONFIG_INVALID`);
 * - checks: the exact points count (`count_points`, `exact: true`) compared with the count recorded
 *   at backup time (`exportedPoints` of export sets, else `pointsCount`). Full snapshots record no
 *   counts: their collections' counts are reported.
 */
export function createQdrantRestoreAdapter(
  options: QdrantRestoreAdapterOptions,
): RestoreAdapter<QdrantRestoreOptions> {
  const env = options.env ?? process.env;
  const apiKey = options.apiKey ?? (env['QDRANT_API_KEY'] || undefined);
  const jobNodes = options.nodes ?? (options.url === undefined ? [] : [options.url]);
  const connect = (url: string) =>
    new QdrantConnection({
      url,
      apiKey,
      timeoutMs: options.timeoutMs ?? 300_000,
      snapshotTimeoutMs: options.timeoutMs ?? 300_000,
      retry: { retries: 3, delayMs: 1000 },
    });
  const nodesOf = (o: QdrantRestoreOptions): string[] =>
    o.targetNodes ?? (o.targetUrl === undefined ? jobNodes : [o.targetUrl]);
  const primaryOf = (o: QdrantRestoreOptions) => {
    const first = nodesOf(o)[0];
    if (first === undefined)
      throw new BackupError('CONFIG_INVALID', 'The qdrant job has neither url nor nodes');
    return connect(first);
  };
  const targetOptions = (target: string): Pick<QdrantRestoreOptions, 'targetUrl' | 'targetNodes'> => {
    const urls = target
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    for (const url of urls) connect(url); // CONFIG_INVALID for a URL that is not http(s)
    if (urls.length === 0) throw new BackupError('CONFIG_INVALID', '--target names no Qdrant node URL');
    return urls.length === 1 ? { targetUrl: urls[0]! } : { targetNodes: urls };
  };
  const collectionsOf = (unit: UnitRecord, o: QdrantRestoreOptions): string[] => {
    if (unit.kind === 'collection') return [o.into ?? unit.name];
    const names = unit.metadata['collectionNames'];
    if (Array.isArray(names)) return names.map(String);
    const collections = unit.metadata['collections'];
    return typeof collections === 'object' && collections !== null ? Object.keys(collections).sort() : [];
  };

  return {
    engine: 'qdrant',
    transactional: false,

    defaultUnits(manifest: Manifest, _flags: RestoreFlags): string[] {
      return manifest.units.map((u) => u.name);
    },

    restoreOptions(flags: RestoreFlags, units: readonly UnitRecord[]): QdrantRestoreOptions {
      if (flags.globals === true || flags.noOwner === true) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--globals and --no-owner are PostgreSQL flags; Qdrant has neither',
        );
      }
      if (flags.toFile !== undefined) {
        throw new BackupError(
          'CONFIG_INVALID',
          '--to-file is a Redis flag; a Qdrant snapshot file is the artifact itself (docs/restore.md: without this tool)',
        );
      }
      if (flags.into !== undefined) {
        const collections = units.filter((u) => u.kind === 'collection');
        if (collections.length !== 1 || units.length !== 1) {
          throw new BackupError(
            'CONFIG_INVALID',
            `--into needs exactly one collection (chosen: ${units.map((u) => u.name).join(', ') || 'none'}); ` +
              'pick one with --collection (a full snapshot keeps its collection names)',
          );
        }
      }
      return {
        ...(flags.target === undefined ? {} : targetOptions(flags.target)),
        ...(flags.into === undefined ? {} : { into: flags.into }),
        replace: flags.force === true,
      };
    },

    async describeTarget(
      units: readonly UnitRecord[],
      target: QdrantRestoreOptions,
      ctx: EngineContext,
    ): Promise<TargetDescription> {
      const conn = primaryOf(target);
      const nodes = nodesOf(target);
      const described: UnitTarget[] = [];
      for (const unit of units) {
        if (unit.kind !== 'collection' && unit.kind !== 'full-snapshot') {
          throw new BackupError(
            'RESTORE_FAILED',
            `The qdrant engine cannot restore unit kind "${unit.kind}"`,
          );
        }
        const states: CollectionState[] = [];
        for (const name of collectionsOf(unit, target)) states.push(await inspectCollection(conn, name, ctx));
        const base = { unit: unit.name, kind: unit.kind, target: states.map((s) => s.collection).join(', ') };
        const busy = states.filter((s) => s.points > 0);
        const existing = states.filter((s) => s.exists);
        if (busy.length === 0) {
          described.push(
            existing.length === 0
              ? { ...base, action: 'create', detail: 'absent: created from the backup' }
              : {
                  ...base,
                  action: 'restore',
                  detail: `exists, empty (${existing.map((s) => s.collection).join(', ')}): recreated from the backup`,
                },
          );
          continue;
        }
        const holds = busy.map((s) => `${s.collection}: ${s.points} points`).join(', ');
        described.push(
          target.replace
            ? { ...base, action: 'overwrite', detail: `holds ${holds}; replaced by the backup's collection` }
            : { ...base, action: 'refuse', detail: `holds ${holds}; refused without --force` },
        );
      }
      return {
        server: nodes.length > 1 ? `${conn.label} (+${nodes.length - 1} nodes)` : conn.label,
        units: described,
      };
    },

    safetyBackupEngine(overwritten: readonly UnitTarget[], target: QdrantRestoreOptions) {
      const names = [...new Set(overwritten.flatMap((t) => t.target.split(', ')))];
      const nodes = nodesOf(target);
      return lazyEngine('qdrant', async (ctx) => {
        // Back up what holds points now (the plan saw points in at least one of them).
        const conn = primaryOf(target);
        const states = await Promise.all(names.map((n) => inspectCollection(conn, n, ctx)));
        const busy = states.filter((s) => s.points > 0).map((s) => s.collection);
        const existing = states.filter((s) => s.exists).map((s) => s.collection);
        return options.createEngine({
          ...(nodes.length > 1 ? { nodes } : { url: nodes[0] }),
          collections: busy.length > 0 ? busy : existing,
          mode: options.mode === 'export' ? 'export' : 'snapshot',
        });
      });
    },

    scratchOptions(unit: UnitRecord, scratch: ScratchTarget): QdrantRestoreOptions {
      if (unit.kind !== 'collection') {
        throw new BackupError(
          'CONFIG_INVALID',
          `Unit ${unit.name} is a full snapshot, whose collections keep their names: it cannot be restored into ` +
            'scratch collections. Drill a job with mode snapshot or export',
        );
      }
      return {
        ...targetOptions(scratch.url),
        into: scratchCollectionName(scratch.prefix, scratch.job, unit.name),
        replace: false,
      };
    },

    async removeScratch(unit: UnitRecord, scratch: ScratchTarget, ctx: EngineContext): Promise<void> {
      const name = scratchCollectionName(scratch.prefix, scratch.job, unit.name);
      const conn = primaryOf(targetOptions(scratch.url));
      const state = await inspectCollection(conn, name, ctx);
      if (!state.exists) return;
      await conn.call((c) => c.deleteCollection(name), {
        what: `Deleting scratch collection ${name}`,
        signal: ctx.signal,
        logger: ctx.logger,
        retry: true,
        code: 'RESTORE_FAILED',
      });
    },

    async check(input: RestoreCheckInput<QdrantRestoreOptions>, ctx: EngineContext): Promise<UnitCheck> {
      const { unit, result, options: target } = input;
      const conn = primaryOf(target);
      if (unit.kind === 'full-snapshot') {
        const states: CollectionState[] = [];
        for (const name of collectionsOf(unit, target)) states.push(await inspectCollection(conn, name, ctx));
        const missing = states.filter((s) => !s.exists);
        return {
          unit: unit.name,
          target: result.target,
          ok: missing.length === 0,
          compared: false,
          summary:
            missing.length === 0
              ? `${states.length} collections, ${states.reduce((n, s) => n + s.points, 0)} points restored (full snapshots record no counts to compare with)`
              : `missing after the restore: ${missing.map((s) => s.collection).join(', ')}`,
          items: states.map((s) => ({
            name: s.collection,
            kind: 'collection',
            ...(s.exists ? { actual: s.points } : {}),
            status: s.exists ? ('info' as const) : ('missing' as const),
          })),
          warnings: [],
        };
      }
      const collection = target.into ?? unit.name;
      const state = await inspectCollection(conn, collection, ctx);
      return comparePointCounts(
        unit.name,
        `${conn.label}/collections/${collection}`,
        recordedPoints(unit.metadata),
        state,
      );
    },
  };
}
