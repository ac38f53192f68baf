import { createHash } from 'node:crypto';
import { BackupError } from '@backup/core';
import { z } from '@backup/zod';
import { type Lsn, parseLsn } from './lsn.js';

const fileSchema = z.object({
  Path: z.string().optional(),
  'Encoded-Path': z.string().optional(),
  Size: z.number().int().nonnegative(),
  'Last-Modified': z.string(),
  'Checksum-Algorithm': z.string().optional(),
  Checksum: z.string().optional(),
});

const manifestSchema = z.object({
  'PostgreSQL-Backup-Manifest-Version': z.number().int(),
  Files: z.array(fileSchema),
  'WAL-Ranges': z.array(
    z.object({ Timeline: z.number().int(), 'Start-LSN': z.string(), 'End-LSN': z.string() }),
  ),
  'Manifest-Checksum': z.string().regex(/^[0-9a-f]{64}$/),
});

/** One file listed by a PostgreSQL `backup_manifest`. */
export interface BackupManifestFile {
  /** Path relative to the data directory (decoded from `Encoded-Path` when the name is not UTF-8). */
  path: string;
  /** Size in bytes. */
  size: number;
  /** `CRC32C`, `SHA224`, `SHA256`, `SHA384`, `SHA512`, or `NONE` when checksums were disabled. */
  checksumAlgorithm: string;
  /** Hex checksum as written in the manifest (`''` with `NONE`). */
  checksum: string;
}

/** A WAL range a backup needs to become consistent: from `start` to `end` on `timeline`. */
export interface BackupWalRange {
  timeline: number;
  start: Lsn;
  end: Lsn;
}

/** A parsed and checksum-verified PostgreSQL `backup_manifest`. */
export interface BackupManifest {
  /** `PostgreSQL-Backup-Manifest-Version` (1 up to PG16, 2 in PG17+). */
  version: number;
  files: BackupManifestFile[];
  /** `WAL-Ranges`, in manifest order (several when the backup crossed a timeline switch on a standby). */
  walRanges: BackupWalRange[];
}

/**
 * Parses the `backup_manifest` that `pg_basebackup` writes (and injects into the tar with `-D -`)
 * and checks its `Manifest-Checksum`: the SHA-256 of every byte up to and including the newline
 * before the `"Manifest-Checksum"` line, as `pg_verifybackup` does. Format: PG15 docs "Backup
 * Manifest Format"; protocols.md 6.3.
 *
 * @throws BackupError `VERIFY_FAILED` for text that is not a manifest, a manifest without files or
 *   WAL ranges, or a checksum mismatch (the manifest was altered or truncated).
 */
export function parseBackupManifest(text: Buffer): BackupManifest {
  const cut = text.lastIndexOf('\n"Manifest-Checksum"');
  let raw: z.infer<typeof manifestSchema>;
  try {
    raw = manifestSchema.parse(JSON.parse(text.toString('utf8')));
  } catch (error) {
    throw new BackupError(
      'VERIFY_FAILED',
      `backup_manifest is not a PostgreSQL backup manifest: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  const computed = createHash('sha256')
    .update(text.subarray(0, cut + 1))
    .digest('hex');
  if (cut === -1 || computed !== raw['Manifest-Checksum']) {
    throw new BackupError(
      'VERIFY_FAILED',
      `backup_manifest checksum mismatch: it says ${raw['Manifest-Checksum']}, its contents hash to ${computed}`,
    );
  }
  if (raw['WAL-Ranges'].length === 0) {
    throw new BackupError('VERIFY_FAILED', 'backup_manifest lists no WAL range (taken with -X none?)');
  }
  return {
    version: raw['PostgreSQL-Backup-Manifest-Version'],
    files: raw.Files.map((f) => ({
      path: f.Path ?? Buffer.from(f['Encoded-Path'] ?? '', 'hex').toString('utf8'),
      size: f.Size,
      checksumAlgorithm: f['Checksum-Algorithm'] ?? 'NONE',
      checksum: f.Checksum ?? '',
    })),
    walRanges: raw['WAL-Ranges'].map((r) => ({
      timeline: r.Timeline,
      start: parseLsn(r['Start-LSN'], 'backup_manifest Start-LSN'),
      end: parseLsn(r['End-LSN'], 'backup_manifest End-LSN'),
    })),
  };
}
