import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { BackupError, isBackupError } from '../errors.js';
import { parseManifest } from '../manifest/parseManifest.js';
import type { ArtifactRecord, Manifest } from '../manifest/schema.js';
import { type ReadArtifactOptions, readArtifact } from '../pipeline/readArtifact.js';
import { MANIFEST_NAME, manifestKey } from '../set/layout.js';
import { parseSetId } from '../set/setId.js';
import type { StorageBackend } from '../storage/StorageBackend.js';

/** A backup set as found in storage, complete (has a manifest) or not. */
export interface BackupSetListing {
  job: string;
  /** Set id `YYYYMMDD-HHMMSS`. */
  id: string;
  /** Start time parsed from the id (UTC). */
  time: Date;
  /** True when `manifest.json` exists: only complete sets are restorable. */
  complete: boolean;
  /** Number of objects under the set's prefix, manifest included. */
  objects: number;
  /** Total stored bytes under the set's prefix. */
  bytes: number;
  /** Newest modification time of the set's objects (for grace periods of incomplete sets). */
  lastModified: Date;
}

/**
 * Reads what is stored: jobs, backup sets, manifests, artifacts. A set without `manifest.json` is
 * never returned by {@link Catalog.listBackups} or {@link Catalog.resolve}.
 */
export class Catalog {
  readonly storage: StorageBackend;

  constructor(storage: StorageBackend) {
    this.storage = storage;
  }

  /** Job names that have at least one complete backup set, sorted. */
  async listJobs(): Promise<string[]> {
    const jobs = new Set<string>();
    for await (const object of this.storage.list('')) {
      const parts = object.key.split('/');
      if (parts.length === 3 && parts[2] === MANIFEST_NAME && parseSetId(parts[1]!)) jobs.add(parts[0]!);
    }
    return [...jobs].sort();
  }

  /** Every set under `job`, complete or not, newest first. */
  async listSets(job: string): Promise<BackupSetListing[]> {
    const sets = new Map<string, BackupSetListing>();
    for await (const object of this.storage.list(`${job}/`)) {
      const parts = object.key.split('/');
      if (parts.length < 3) continue;
      const id = parts[1]!;
      const time = parseSetId(id);
      if (!time) continue; // e.g. <job>/wal/..., <job>/locks/...
      let set = sets.get(id);
      if (!set) {
        set = { job, id, time, complete: false, objects: 0, bytes: 0, lastModified: object.lastModified };
        sets.set(id, set);
      }
      set.objects += 1;
      set.bytes += object.size;
      if (object.lastModified > set.lastModified) set.lastModified = object.lastModified;
      if (parts.length === 3 && parts[2] === MANIFEST_NAME) set.complete = true;
    }
    return [...sets.values()].sort((a, b) => b.id.localeCompare(a.id));
  }

  /** Manifests of the complete sets of `job`, newest first. Unreadable manifests throw `MANIFEST_INVALID`. */
  async listBackups(job: string): Promise<Manifest[]> {
    const sets = (await this.listSets(job)).filter((s) => s.complete);
    const manifests: Manifest[] = [];
    for (const set of sets) manifests.push(await this.readManifest(job, set.id));
    return manifests;
  }

  /** Reads and validates one manifest. Throws `NOT_FOUND` (no such complete set) or `MANIFEST_INVALID`. */
  async readManifest(job: string, id: string): Promise<Manifest> {
    const key = manifestKey(job, id);
    let stream: Readable;
    try {
      stream = await this.storage.get(key);
    } catch (error) {
      if (isBackupError(error, 'NOT_FOUND')) {
        throw new BackupError('NOT_FOUND', `No complete backup set ${id} for job ${job} (no ${key})`, {
          cause: error,
          details: { job, id },
        });
      }
      throw error;
    }
    const manifest = parseManifest(await text(stream), key);
    if (manifest.job !== job || manifest.id !== id) {
      throw new BackupError(
        'MANIFEST_INVALID',
        `${key} names job ${manifest.job} set ${manifest.id}; it was moved or edited`,
      );
    }
    return manifest;
  }

  /**
   * Resolves `latest` or a set id to a complete set's manifest. Throws `NOT_FOUND` naming the job
   * when there is none, and `CONFIG_INVALID` for a malformed id.
   */
  async resolve(job: string, ref: string): Promise<Manifest> {
    if (ref === 'latest') {
      const latest = (await this.listSets(job)).find((s) => s.complete);
      if (!latest)
        throw new BackupError('NOT_FOUND', `Job ${job} has no complete backup set`, { details: { job } });
      return this.readManifest(job, latest.id);
    }
    if (!parseSetId(ref)) {
      throw new BackupError(
        'CONFIG_INVALID',
        `Backup set "${ref}" must be "latest" or an id like 20260121-020000`,
      );
    }
    return this.readManifest(job, ref);
  }

  /**
   * Opens an artifact of a manifest for reading, verifying stored and plaintext checksums while
   * streaming (see `readArtifact`). Throws `NOT_FOUND` for an unknown artifact name.
   */
  async openArtifact(
    manifest: Manifest,
    artifact: string | ArtifactRecord,
    options: ReadArtifactOptions = {},
  ): Promise<Readable> {
    const record =
      typeof artifact === 'string' ? manifest.artifacts.find((a) => a.name === artifact) : artifact;
    if (!record) {
      throw new BackupError(
        'NOT_FOUND',
        `Set ${manifest.job}/${manifest.id} has no artifact ${String(artifact)}`,
      );
    }
    return readArtifact(this.storage, record, options);
  }
}
