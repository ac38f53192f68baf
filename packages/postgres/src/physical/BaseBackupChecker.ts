import { createHash, type Hash } from 'node:crypto';
import { BackupError } from '@backup/core';
import { Crc32c } from './crc32c.js';
import { formatLsn } from './lsn.js';
import { type BackupManifest, parseBackupManifest } from './parseBackupManifest.js';
import type { TarEvent } from './TarParser.js';
import { DEFAULT_WAL_SEGMENT_SIZE, segmentOf, walFileName } from './walSegment.js';

/** Digest of one file as read from the tar. */
interface SeenFile {
  size: number;
  crc: Crc32c;
  sha: Hash | undefined;
}

const SHA_ALGORITHMS: Readonly<Record<string, string>> = {
  SHA224: 'sha224',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};

/**
 * Paths `pg_verifybackup` ignores by default: WAL (listed by `WAL-Ranges`, not `Files`) and the
 * files a restore may add (PG15 `pg_verifybackup(1)`, `--ignore`).
 */
const UNLISTED_OK = /^(pg_wal\/.*|postgresql\.auto\.conf|recovery\.signal|standby\.signal)$/;

/** Result of {@link BaseBackupChecker.finish}. */
export interface BaseBackupCheck {
  manifest: BackupManifest;
  /** Files checked against the manifest. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
}

/**
 * Checks a base backup tar against its own `backup_manifest` while it streams, the checks
 * `pg_verifybackup` makes on a directory (PG15 `pg_verifybackup(1)`): the manifest's own SHA-256,
 * every listed file present with its size and checksum (CRC32C by default; SHA-2 when the backup
 * was taken with `--manifest-checksums=SHA...`), no unlisted file (outside `pg_wal/`, which the
 * manifest's `WAL-Ranges` cover), and the WAL segments of the
 * manifest's `WAL-Ranges` present in `pg_wal/` (taken with `-X fetch`). WAL contents are not
 * parsed (`pg_verifybackup --no-parse-wal`). Feed it the {@link TarEvent}s of the stream, then
 * call {@link finish}.
 *
 * @param segmentSize WAL segment size in bytes (default 16 MiB), to name the needed segments.
 */
export class BaseBackupChecker {
  private readonly seen = new Map<string, SeenFile>();
  private current: SeenFile | undefined;
  private manifestParts: Buffer[] | undefined;
  private readonly segmentSize: number;
  /** Algorithm of the manifest is unknown until it arrives (last): compute CRC32C, and SHA-256 only on request. */
  private readonly sha: string | undefined;

  constructor(options: { segmentSize?: number | undefined; shaAlgorithm?: string | undefined } = {}) {
    this.segmentSize = options.segmentSize ?? DEFAULT_WAL_SEGMENT_SIZE;
    this.sha = options.shaAlgorithm;
  }

  /** Processes one event of the tar stream. */
  push(event: TarEvent): void {
    if (event.kind === 'entry') {
      if (event.header.type !== 'file') return;
      if (event.header.path === 'backup_manifest') {
        this.manifestParts = [];
        return;
      }
      this.current = {
        size: 0,
        crc: new Crc32c(),
        sha: this.sha ? createHash(SHA_ALGORITHMS[this.sha] ?? 'sha256') : undefined,
      };
      this.seen.set(event.header.path, this.current);
    } else if (event.kind === 'data') {
      if (this.current) {
        this.current.size += event.chunk.length;
        this.current.crc.update(event.chunk);
        this.current.sha?.update(event.chunk);
      } else if (this.manifestParts) {
        this.manifestParts.push(Buffer.from(event.chunk));
      }
    } else {
      this.current = undefined;
    }
  }

  /**
   * Compares what was read with the manifest.
   * @throws BackupError `VERIFY_FAILED` listing the first problems (up to 10): missing manifest,
   *   missing/extra files, size or checksum mismatches, missing WAL segments.
   */
  finish(): BaseBackupCheck {
    if (!this.manifestParts) {
      throw new BackupError('VERIFY_FAILED', 'The base backup has no backup_manifest');
    }
    const manifest = parseBackupManifest(Buffer.concat(this.manifestParts));
    const problems: string[] = [];
    let bytes = 0;
    const listed = new Set<string>();
    for (const file of manifest.files) {
      listed.add(file.path);
      const got = this.seen.get(file.path);
      if (!got) {
        problems.push(`${file.path} is missing`);
        continue;
      }
      bytes += got.size;
      if (got.size !== file.size) {
        problems.push(`${file.path} has ${got.size} bytes, the manifest says ${file.size}`);
        continue;
      }
      const algorithm = file.checksumAlgorithm.toUpperCase();
      let actual: string | undefined;
      if (algorithm === 'CRC32C') actual = got.crc.manifestHex;
      else if (algorithm in SHA_ALGORITHMS && got.sha && this.sha === algorithm)
        actual = got.sha.digest('hex');
      else if (algorithm !== 'NONE') {
        problems.push(
          `${file.path} has checksum algorithm ${file.checksumAlgorithm}, which this check did not compute`,
        );
      }
      if (actual !== undefined && actual !== file.checksum.toLowerCase()) {
        problems.push(`${file.path} has checksum ${actual}, the manifest says ${file.checksum}`);
      }
    }
    for (const path of this.seen.keys()) {
      if (!listed.has(path) && !UNLISTED_OK.test(path)) problems.push(`${path} is not in the manifest`);
    }
    for (const range of manifest.walRanges) {
      const first = segmentOf(range.start, this.segmentSize);
      const last = segmentOf(range.end, this.segmentSize);
      for (let segment = first; segment <= last; segment++) {
        const name = walFileName(range.timeline, segment, this.segmentSize);
        if (!this.seen.has(`pg_wal/${name}`)) {
          problems.push(
            `WAL segment pg_wal/${name} (${formatLsn(range.start)}..${formatLsn(range.end)}) is missing`,
          );
        }
      }
    }
    if (problems.length > 0) {
      throw new BackupError(
        'VERIFY_FAILED',
        `The base backup does not match its backup_manifest (${problems.length} problem(s)): ${problems.slice(0, 10).join('; ')}`,
        { details: { problems: problems.slice(0, 50) } },
      );
    }
    return { manifest, files: manifest.files.length, bytes };
  }
}
