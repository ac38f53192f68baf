import type { Readable } from 'node:stream';
import type { Logger } from '../logger.js';
import type { ArtifactRecord, Manifest, UnitRecord } from '../manifest/schema.js';
import type { ArtifactSink } from '../set/BackupSetWriter.js';
import type { StorageBackend } from '../storage/StorageBackend.js';

/** A thing an engine backs up on its own: a database, a collection, an instance, a graph. */
export interface BackupUnit {
  /** Unique within the job: database name, collection name... */
  name: string;
  /** Engine-defined kind: `database`, `globals`, `collection`... */
  kind: string;
  /** Facts known at discovery (sizes...), recorded in the manifest's `units`. */
  metadata?: Record<string, unknown>;
}

/** What `describe` reports about the source server, recorded in the manifest's `engine`. */
export interface EngineDescription {
  /** Server version, e.g. `15.19`. */
  version?: string | undefined;
  /** Tool versions, topology... */
  metadata: Record<string, unknown>;
}

/** Passed to every engine call. */
export interface EngineContext {
  /** Fires on cancellation (SIGTERM); engines stop their sources and fail with `ABORTED`. */
  signal: AbortSignal;
  logger: Logger;
}

/** Input of {@link Engine.restore}: one unit of a set, with a way to open its artifacts. */
export interface RestoreInput<TOptions> {
  unit: UnitRecord;
  /** The unit's artifacts, from the manifest. */
  artifacts: ArtifactRecord[];
  /** Opens an artifact's plaintext with streaming checksum verification. */
  open(artifact: ArtifactRecord): Promise<Readable>;
  /** Engine-specific target and safety options. */
  options: TOptions;
}

/** What a restore did, for reports. */
export interface RestoreResult {
  unit: string;
  /** Where it went (database name, collection...), never with credentials. */
  target: string;
  /** Engine checks after restore (row counts...). */
  metadata: Record<string, unknown>;
}

/**
 * The contract each engine package implements (`@backup/postgres`, ...). An engine instance is
 * bound to one source/target configuration. Every engine passes the shared round-trip suite
 * `describeEngineContract` from `@backup/core/testing`.
 *
 * Errors: `SOURCE_FAILED` (server or tool failed), `VERIFY_FAILED` (structural check),
 * `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `CONFIG_INVALID`, `ABORTED`.
 */
export interface Engine<TRestoreOptions = Record<string, unknown>> {
  /** Engine name recorded in manifests: `postgres`, `redis`, `qdrant`, `neo4j`. */
  readonly name: string;
  /** Reads the server's version and facts for the manifest. */
  describe(ctx: EngineContext): Promise<EngineDescription>;
  /** Lists the units to back up (after include/exclude configuration). */
  discover(ctx: EngineContext): Promise<BackupUnit[]>;
  /**
   * Streams one unit's artifacts into `sink`. Resolves with facts to merge into the unit's
   * manifest metadata (row counts...).
   */
  backup(
    unit: BackupUnit,
    sink: ArtifactSink,
    ctx: EngineContext,
  ): Promise<Record<string, unknown> | undefined>;
  /**
   * Structural check of one artifact's plaintext beyond checksums (e.g. `pg_restore --list`).
   * Must consume `plaintext` to its end. Throws `VERIFY_FAILED`.
   */
  verify(artifact: ArtifactRecord, plaintext: Readable, ctx: EngineContext): Promise<void>;
  /** Restores one unit. Throws `TARGET_NOT_EMPTY` unless the options allow overwriting. */
  restore(input: RestoreInput<TRestoreOptions>, ctx: EngineContext): Promise<RestoreResult>;
  /**
   * Optional: deletes the job's objects that live outside backup sets and that the retention policy
   * made unnecessary, e.g. archived PostgreSQL WAL older than the oldest kept base backup
   * (`@backup/postgres` physical engine). Called by `runJobCycle` and `backup prune` after
   * `executePrune`, only when the prune ran (never after a failed backup), with the job's lock held
   * (except for a dry run).
   *
   * - `storage`: the repository; `job`: the job name (its objects are under `<job>/`).
   * - `keep`: manifests of the complete sets the policy keeps (newest first, never empty).
   * - `dryRun`: count what would be deleted, delete nothing.
   *
   * Resolves with the objects deleted (or that would be) and their stored bytes. Throws
   * `STORAGE_UNREACHABLE` for storage errors; objects already deleted stay deleted.
   */
  pruneExtra?(
    input: { storage: StorageBackend; job: string; keep: Manifest[]; dryRun: boolean },
    ctx: EngineContext,
  ): Promise<{ deletedObjects: number; freedBytes: number }>;
}
