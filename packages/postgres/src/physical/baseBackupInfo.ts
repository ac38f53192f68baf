import { BackupError, type Manifest } from '@backup/core';
import { z } from '@backup/zod';
import { type Lsn, parseLsn } from './lsn.js';
import { CLUSTER_UNIT, POSTGRES_BASE_BACKUP_MEDIA_TYPE } from './physicalMediaTypes.js';

const lsnText = z.string().regex(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i);

/**
 * Zod schema of the metadata the physical engine records on the `cluster` unit of a set
 * (documented in docs/format.md "Physical backups and WAL"). LSNs are `X/Y` strings, times ISO 8601
 * UTC from the server's clock.
 */
export const baseBackupMetadataSchema = z.object({
  /** `START WAL LOCATION` of `backup_label`: replay starts here. */
  startLsn: lsnText,
  /** `End-LSN` of the last `WAL-Ranges` entry: the backup is consistent once replay reaches it. */
  stopLsn: lsnText,
  /** `START TIMELINE`. */
  timeline: z.number().int().positive(),
  /** Timeline of the last WAL range (differs from `timeline` only for a standby that was promoted mid-backup). */
  stopTimeline: z.number().int().positive(),
  /** WAL file of `startLsn`, e.g. `000000010000000000000002`. */
  startWalFile: z.string().regex(/^[0-9A-F]{24}$/),
  /** System identifier of the cluster (decimal string of a uint64). */
  systemIdentifier: z.string().regex(/^\d+$/),
  /** `server_version_num`, e.g. 150020. */
  serverVersionNum: z.number().int(),
  /** `wal_segment_size` in bytes. */
  walSegmentSize: z.number().int().positive(),
  /** Server time before the backup started (ISO 8601 UTC). */
  startTime: z.string(),
  /** Server time after it ended: every commit after this time is after the backup's consistency point. */
  stopTime: z.string(),
  /**
   * `pg_snapshot_xmax(pg_current_snapshot())` read after the backup (decimal xid8): transactions with
   * an id at least this were assigned after the backup ended.
   */
  nextXid: z.string().regex(/^\d+$/).optional(),
});

/** The physical facts of one base backup set, with LSNs parsed. */
export interface BaseBackupInfo {
  /** The set's manifest. */
  manifest: Manifest;
  /** Set id `YYYYMMDD-HHMMSS`. */
  id: string;
  startLsn: Lsn;
  stopLsn: Lsn;
  timeline: number;
  stopTimeline: number;
  startWalFile: string;
  systemIdentifier: string;
  serverVersionNum: number;
  walSegmentSize: number;
  startTime: Date;
  stopTime: Date;
  nextXid: bigint | undefined;
}

/**
 * The physical facts of a set's manifest, or `undefined` for a set that is not a physical base
 * backup (a logical set of the same job, say).
 * @throws BackupError `MANIFEST_INVALID` when the set has a base backup artifact but its `cluster`
 *   unit metadata is incomplete.
 */
export function baseBackupInfo(manifest: Manifest): BaseBackupInfo | undefined {
  const unit = manifest.units.find((u) => u.kind === CLUSTER_UNIT);
  if (!unit || !manifest.artifacts.some((a) => a.mediaType === POSTGRES_BASE_BACKUP_MEDIA_TYPE)) {
    return undefined;
  }
  const parsed = baseBackupMetadataSchema.safeParse(unit.metadata);
  if (!parsed.success) {
    throw new BackupError(
      'MANIFEST_INVALID',
      `Set ${manifest.job}/${manifest.id}: the cluster unit lacks base backup facts (${parsed.error.issues
        .map((i) => i.path.join('.'))
        .join(', ')})`,
    );
  }
  const m = parsed.data;
  return {
    manifest,
    id: manifest.id,
    startLsn: parseLsn(m.startLsn),
    stopLsn: parseLsn(m.stopLsn),
    timeline: m.timeline,
    stopTimeline: m.stopTimeline,
    startWalFile: m.startWalFile,
    systemIdentifier: m.systemIdentifier,
    serverVersionNum: m.serverVersionNum,
    walSegmentSize: m.walSegmentSize,
    startTime: new Date(m.startTime),
    stopTime: new Date(m.stopTime),
    nextXid: m.nextXid === undefined ? undefined : BigInt(m.nextXid),
  };
}
