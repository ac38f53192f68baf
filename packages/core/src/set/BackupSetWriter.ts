import type { Readable } from 'node:stream';
import { BackupError, toBackupError } from '../errors.js';
import {
  type ArtifactRecord,
  MANIFEST_FORMAT_VERSION,
  type Manifest,
  type UnitRecord,
} from '../manifest/schema.js';
import { type CompressionSettings, compressionSuffix } from '../pipeline/compression.js';
import type { ArtifactEncryptor } from '../pipeline/encryption.js';
import { writeArtifact } from '../pipeline/writeArtifact.js';
import { joinKey } from '../storage/keys.js';
import type { StorageBackend } from '../storage/StorageBackend.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { MANIFEST_NAME, manifestKey, setPrefix } from './layout.js';
import { formatSetId } from './setId.js';

/** One artifact to write: the engine names it without pipeline suffixes (`outline.dump`). */
export interface ArtifactInput {
  /** File name without compression/encryption suffixes, unique in the set: `outline.dump`. */
  name: string;
  /** Unit this artifact belongs to. */
  unit: string;
  /** Media type of the plaintext. */
  mediaType: string;
  /** The plaintext stream; it must error (not end) when its producer fails. */
  source: Readable;
  /** Engine facts about the artifact, recorded in the manifest. */
  metadata?: Record<string, unknown>;
}

/** Where engines write their artifacts during a backup. */
export interface ArtifactSink {
  /** Streams one artifact through the pipeline into the set; resolves with its manifest record. */
  write(input: ArtifactInput): Promise<ArtifactRecord>;
}

/** Options of {@link BackupSetWriter.create}. */
export interface BackupSetWriterOptions {
  storage: StorageBackend;
  /** Job name (path segment). */
  job: string;
  compression: CompressionSettings;
  encryptor?: ArtifactEncryptor | undefined;
  /** Clock for the set id and times; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  signal?: AbortSignal | undefined;
  /** Progress callback: artifact name and plaintext bytes so far. */
  onProgress?: ((artifact: string, plaintextBytes: number) => void) | undefined;
}

/** What {@link BackupSetWriter.commit} needs besides the artifacts. */
export interface CommitInput {
  engine: { name: string; version?: string | undefined; metadata?: Record<string, unknown> };
  units: UnitRecord[];
}

const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/**
 * Writes one backup set: artifacts first, `manifest.json` last. Until `commit` the set has no
 * manifest and is never listed as restorable; `discard` deletes what was written.
 */
export class BackupSetWriter implements ArtifactSink {
  readonly id: string;
  readonly job: string;
  readonly startedAt: Date;
  private readonly options: BackupSetWriterOptions;
  private readonly artifacts: ArtifactRecord[] = [];
  private readonly writtenKeys: string[] = [];
  private committed = false;

  private constructor(options: BackupSetWriterOptions, id: string, startedAt: Date) {
    this.options = options;
    this.job = options.job;
    this.id = id;
    this.startedAt = startedAt;
  }

  /**
   * Starts a set for `job` at the clock's current second. When a set with that id already has
   * objects (two runs in the same second), waits for the next second, up to 3 times, then throws
   * `STORAGE_CONFLICT`. Throws `CONFIG_INVALID` for a job name that is not a safe path segment.
   */
  static async create(options: BackupSetWriterOptions): Promise<BackupSetWriter> {
    if (!JOB_NAME.test(options.job)) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Job name "${options.job}" must be 1-63 letters, digits, ".", "_" or "-" (it is a path segment)`,
      );
    }
    const clock = options.clock ?? (() => new Date());
    for (let attempt = 0; attempt < 4; attempt++) {
      const startedAt = clock();
      const id = formatSetId(startedAt);
      const taken = await hasAny(options.storage, setPrefix(options.job, id));
      if (!taken) return new BackupSetWriter(options, id, startedAt);
      await new Promise((r) => setTimeout(r, 1000 - (startedAt.getTime() % 1000) + 5));
    }
    throw new BackupError(
      'STORAGE_CONFLICT',
      `A backup set for job ${options.job} already exists at this second; is another run writing?`,
    );
  }

  /** Key prefix of this set. */
  get prefix(): string {
    return setPrefix(this.job, this.id);
  }

  async write(input: ArtifactInput): Promise<ArtifactRecord> {
    if (this.committed) throw new BackupError('INTERNAL', 'Backup set already committed');
    const suffix =
      compressionSuffix[this.options.compression.algorithm] + (this.options.encryptor?.suffix ?? '');
    const name = input.name + suffix;
    if (name === MANIFEST_NAME || this.artifacts.some((a) => a.name === name) || name.includes('/')) {
      input.source.destroy();
      throw new BackupError('INTERNAL', `Artifact name ${name} is reserved, contains "/" or is used twice`);
    }
    const key = joinKey(this.prefix, name);
    this.writtenKeys.push(key);
    const digests = await writeArtifact(this.options.storage, key, input.source, {
      compression: this.options.compression,
      encryptor: this.options.encryptor,
      signal: this.options.signal,
      onProgress: this.options.onProgress ? (n) => this.options.onProgress?.(name, n) : undefined,
    });
    const record: ArtifactRecord = {
      name,
      key,
      unit: input.unit,
      mediaType: input.mediaType,
      ...digests,
      compression: { ...this.options.compression },
      encryption: this.options.encryptor ? { ...this.options.encryptor.info } : null,
      metadata: input.metadata ?? {},
    };
    this.artifacts.push(record);
    return record;
  }

  /** Artifacts written so far. */
  get written(): readonly ArtifactRecord[] {
    return this.artifacts;
  }

  /**
   * Writes `manifest.json` (the set becomes complete and listable) and returns it. Throws
   * `STORAGE_CONFLICT` if a manifest already exists there (never overwritten).
   */
  async commit(input: CommitInput): Promise<Manifest> {
    const clock = this.options.clock ?? (() => new Date());
    const finished = clock();
    const manifest: Manifest = {
      formatVersion: MANIFEST_FORMAT_VERSION,
      id: this.id,
      job: this.job,
      engine: {
        name: input.engine.name,
        ...(input.engine.version === undefined ? {} : { version: input.engine.version }),
        metadata: input.engine.metadata ?? {},
      },
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date(Math.max(finished.getTime(), this.startedAt.getTime())).toISOString(),
      units: input.units,
      artifacts: [...this.artifacts],
    };
    if (this.options.signal?.aborted) {
      throw new BackupError('ABORTED', 'Backup aborted before its manifest was written');
    }
    const body = `${JSON.stringify(manifest, null, 2)}\n`;
    let created: boolean;
    try {
      created = await this.options.storage.createExclusive(manifestKey(this.job, this.id), body);
    } catch (error) {
      throw toBackupError(error, 'STORAGE_UNREACHABLE', 'Writing manifest.json failed');
    }
    if (!created) {
      throw new BackupError(
        'STORAGE_CONFLICT',
        `${manifestKey(this.job, this.id)} already exists; not overwritten`,
      );
    }
    this.committed = true;
    return manifest;
  }

  /** Deletes every artifact written (best effort); used when the backup failed. Never deletes a committed set. */
  async discard(): Promise<void> {
    if (this.committed) return;
    const keys = new Set(this.writtenKeys);
    for await (const object of this.options.storage.list(this.prefix)) keys.add(object.key);
    keys.delete(manifestKey(this.job, this.id));
    await this.options.storage.delete([...keys]);
  }
}

async function hasAny(storage: StorageBackend, prefix: string): Promise<boolean> {
  for await (const _ of storage.list(prefix)) return true;
  return false;
}
