import type { Readable } from 'node:stream';

/** One stored object, as listed or returned by `head`. */
export interface ObjectInfo {
  /** Key relative to the backend's root (bucket + prefix, or directory), `/`-separated. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time. */
  lastModified: Date;
}

/** Options of {@link StorageBackend.put}. */
export interface PutOptions {
  /** Cancels the upload; a cancelled or failed upload leaves no object behind. */
  signal?: AbortSignal;
  /** MIME type recorded with the object where the backend supports it. Default `application/octet-stream`. */
  contentType?: string;
  /** Called with the number of bytes consumed so far, for progress displays. */
  onProgress?: (bytes: number) => void;
}

/** Result of {@link StorageBackend.put}. */
export interface PutResult {
  /** Bytes stored. */
  size: number;
}

/** Byte range for {@link StorageBackend.get}: `start` and `end` are inclusive offsets in bytes. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** What a backend can do beyond the common contract; callers check flags, never backend names. */
export interface StorageCapabilities {
  /** `createExclusive` is atomic (S3 `If-None-Match: *`, fs `O_EXCL`). */
  atomicCreate: boolean;
  /** `get` honours `range`. */
  rangeRead: boolean;
  /** Objects can be handed out as presigned HTTP URLs. */
  presignedUrls: boolean;
}

/**
 * The storage contract every backend implements (`fs`, `s3`). Keys are relative to the backend's
 * root and use `/`. A `put` is all-or-nothing: readers never see a partial object. Every backend
 * passes the shared suite in `@backup/core/testing` (`describeStorageContract`).
 *
 * Errors: `NOT_FOUND` (get of a missing key), `STORAGE_UNREACHABLE` (network, permissions),
 * `ABORTED` (signal), `SOURCE_FAILED` (the body stream of a put failed).
 */
export interface StorageBackend {
  /** Short description for logs, e.g. `s3://backrest/agentic` or `fs:/var/backups`. Never holds secrets. */
  readonly description: string;
  /** Capability flags. */
  readonly capabilities: StorageCapabilities;
  /** Stores `body` at `key`, replacing any existing object. Streams with bounded memory. */
  put(key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<PutResult>;
  /** Opens an object for reading. Throws `NOT_FOUND` when missing. */
  get(key: string, options?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable>;
  /** Size and time of an object, or `undefined` when missing. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, recursively, in no promised order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes the given keys; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /**
   * Creates `key` with `body` only if it does not exist. Returns `true` when created, `false` when
   * the key already existed (nothing is changed then). Used for locks and never-overwrite writes.
   */
  createExclusive(key: string, body: Uint8Array | string): Promise<boolean>;
}
