import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { buffer } from 'node:stream/consumers';
import {
  type ArtifactEncryptor,
  BackupError,
  type CompressionSettings,
  compressionSuffix,
  createCompressStream,
  type Logger,
  type StorageBackend,
  silentLogger,
  TOOL_NAME,
  TOOL_VERSION,
  toBackupError,
} from '@backup/core';
import { readWalPageHeader } from './readWalPageHeader.js';
import { readWalSidecar } from './readWalSidecar.js';
import { transformBuffer } from './transformBuffer.js';
import { requireWalFile } from './walFileKind.js';
import { walObjectKey, walSidecarKey } from './walKeys.js';
import type { WalSidecar } from './walSidecarSchema.js';

/** Largest file `pushWalFile` accepts: 1 GiB, the largest `initdb --wal-segsize`. */
const MAX_WAL_FILE_BYTES = 1 << 30;

/** Options of {@link pushWalFile}. */
export interface PushWalFileOptions {
  storage: StorageBackend;
  /** Job name: the file goes under `<job>/wal/`. */
  job: string;
  /** Path of the file (`%p`: relative to the data directory, which is the archiver's working directory). */
  path: string;
  /** Compression (resolved, e.g. `{ algorithm: 'zstd', level: 3 }`). */
  compression: CompressionSettings;
  /** Encrypts after compressing when set (age recipients: public keys only). */
  encryptor?: ArtifactEncryptor | undefined;
  logger?: Logger | undefined;
  /** Clock for `pushedAt`; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
}

/** Outcome of {@link pushWalFile}. */
export interface PushWalFileResult {
  /** WAL file name. */
  name: string;
  /** `stored`: this call archived it; `already-archived`: an identical copy was archived before. */
  status: 'stored' | 'already-archived';
  /** Key of the data object. */
  key: string;
  plaintextBytes: number;
  /** Stored bytes of the data object (after compression and encryption). */
  storedBytes: number;
  plaintextSha256: string;
}

/**
 * Archives one WAL file for `archive_command` (protocols.md 6.1): resolves only once the file is
 * durably stored, never overwrites anything, and is idempotent.
 *
 * 1. Reads the whole file into memory (a segment is 16 MiB by default, at most 1 GiB) and hashes it
 *    (sha256); compresses and encrypts it in memory.
 * 2. Creates the data object `<job>/wal/<timeline>/<name>.<sha256[0:16]><suffixes>` with
 *    `createExclusive` (S3 `If-None-Match: *`, fs `link(2)`).
 * 3. Commits with `createExclusive` of the sidecar `<job>/wal/<timeline>/<name>.json`
 *    ({@link WalSidecar}: sizes, both sha256s, compression, encryption, system identifier).
 *
 * A file whose sidecar exists already succeeds with `already-archived` when the archived plaintext
 * sha256 equals this file's (PostgreSQL may re-archive after a crash), and fails with
 * `STORAGE_CONFLICT` when it differs (another cluster writing into this job, or a diverged
 * timeline): nothing is replaced, as PostgreSQL's docs require. A data object left by an
 * interrupted push of the same bytes is reused. Compare pgBackRest `archive-push`, which also names
 * stored segments after their checksum and refuses a different checksum.
 *
 * @throws BackupError `CONFIG_INVALID` (not a WAL file name, file over 1 GiB), `SOURCE_FAILED`
 *   (cannot read the file), `STORAGE_CONFLICT`, `STORAGE_UNREACHABLE`.
 */
export async function pushWalFile(options: PushWalFileOptions): Promise<PushWalFileResult> {
  const { storage, job } = options;
  const logger = options.logger ?? silentLogger;
  const file = requireWalFile(basename(options.path));
  let data: Buffer;
  try {
    data = await readFile(options.path);
  } catch (error) {
    throw toBackupError(error, 'SOURCE_FAILED', `Cannot read WAL file ${options.path}`);
  }
  if (data.length > MAX_WAL_FILE_BYTES) {
    throw new BackupError(
      'CONFIG_INVALID',
      `${options.path} has ${data.length} bytes; WAL files are at most 1 GiB`,
    );
  }
  const plaintextSha256 = createHash('sha256').update(data).digest('hex');
  const sidecarKey = walSidecarKey(job, file);
  const suffix = compressionSuffix[options.compression.algorithm] + (options.encryptor?.suffix ?? '');
  const key = walObjectKey(job, file, plaintextSha256, suffix);
  const header = file.kind === 'segment' || file.kind === 'partial' ? readWalPageHeader(data) : undefined;

  const existing = async (): Promise<PushWalFileResult | undefined> => {
    const sidecar = await readWalSidecar(storage, sidecarKey);
    if (!sidecar) return undefined;
    if (sidecar.plaintextSha256 !== plaintextSha256) {
      throw new BackupError(
        'STORAGE_CONFLICT',
        `${file.name} is already archived in job ${job} with different contents (sha256 ${sidecar.plaintextSha256.slice(0, 16)}…, ` +
          `this file ${plaintextSha256.slice(0, 16)}…); it is not overwritten. Is another cluster archiving into job ${job}?`,
        { details: { job, name: file.name, key: sidecarKey } },
      );
    }
    logger.info(
      { job, name: file.name, key: sidecar.key },
      'WAL file already archived with identical contents',
    );
    return {
      name: file.name,
      status: 'already-archived',
      key: sidecar.key,
      plaintextBytes: sidecar.plaintextBytes,
      storedBytes: sidecar.storedBytes,
      plaintextSha256,
    };
  };

  const stages = [];
  const compress = createCompressStream(options.compression);
  if (compress) stages.push(compress);
  if (options.encryptor) stages.push(options.encryptor.createEncryptStream());
  let stored = await transformBuffer(data, stages);
  try {
    const created = await storage.createExclusive(key, stored);
    if (!created) {
      const done = await existing();
      if (done) return done;
      // A previous push of these very bytes stopped before its commit: reuse its object.
      stored = await buffer(await storage.get(key));
    }
    const sidecar: WalSidecar = {
      formatVersion: 1,
      name: file.name,
      kind: file.kind,
      timeline: file.timeline,
      key,
      plaintextBytes: data.length,
      plaintextSha256,
      storedBytes: stored.length,
      storedSha256: createHash('sha256').update(stored).digest('hex'),
      compression: { ...options.compression },
      encryption: options.encryptor ? { ...options.encryptor.info } : null,
      ...(header ? { systemIdentifier: header.systemIdentifier } : {}),
      pushedAt: (options.clock ?? (() => new Date()))().toISOString(),
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
    };
    if (!(await storage.createExclusive(sidecarKey, `${JSON.stringify(sidecar, null, 2)}\n`))) {
      const done = await existing();
      if (done) return done;
      throw new BackupError('STORAGE_CONFLICT', `${sidecarKey} exists but cannot be read back`);
    }
    logger.info({ job, name: file.name, key, storedBytes: stored.length }, 'WAL file archived');
    return {
      name: file.name,
      status: 'stored',
      key,
      plaintextBytes: data.length,
      storedBytes: stored.length,
      plaintextSha256,
    };
  } catch (error) {
    throw toBackupError(error, 'STORAGE_UNREACHABLE', `Archiving ${file.name} into job ${job} failed`);
  }
}
