import { appendFile, chown, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArtifactDecryptor, BackupError, type Catalog, type Logger, silentLogger } from '@backup/core';
import { type BaseBackupInfo, baseBackupInfo } from '../physical/baseBackupInfo.js';
import { extractBaseBackup } from '../physical/extractBaseBackup.js';
import { POSTGRES_BASE_BACKUP_MEDIA_TYPE } from '../physical/physicalMediaTypes.js';
import { listArchivedWal } from '../wal/listArchivedWal.js';
import { readArchivedWalFile } from '../wal/readArchivedWalFile.js';
import { parseTimelineHistory, type TimelineHistoryEntry } from './parseTimelineHistory.js';
import { type PitrPlan, planPitr, type TargetTimeline } from './planPitr.js';
import { type RecoveryTargetAction, recoverySettings } from './recoverySettings.js';
import type { RecoveryTarget } from './recoveryTarget.js';

/** Options of {@link restorePitr}. */
export interface RestorePitrOptions {
  /** Reads the job's sets. */
  catalog: Catalog;
  job: string;
  /** Empty or missing directory receiving the cluster. */
  dataDir: string;
  target: RecoveryTarget;
  /** `recovery_target_timeline`; default `latest`. */
  targetTimeline?: TargetTimeline | undefined;
  /** Base backup set id to use instead of the newest that fits. */
  baseId?: string | undefined;
  /** `recovery_target_action`; default `promote`. */
  action?: RecoveryTargetAction | undefined;
  /** `recovery_target_inclusive`; default the server's (`on`). */
  inclusive?: boolean | undefined;
  /**
   * `restore_command` for the restored server, with `%f` and `%p`, e.g.
   * `/usr/bin/node /app/bin.js --config /etc/backup.yaml wal-fetch %f %p --job pg`.
   */
  restoreCommand: string;
  /** Writes `archive_mode = 'off'` so the restored server archives nothing. Default false. */
  disableArchiving?: boolean | undefined;
  /** For encrypted sets and archives. */
  decryptor?: ArtifactDecryptor | undefined;
  /** Owner of the restored files; default the owner of `dataDir` when running as root. */
  owner?: { uid: number; gid: number } | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** Clock for the comment in postgresql.auto.conf; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
}

/** What {@link restorePitr} did. */
export interface RestorePitrResult {
  plan: PitrPlan;
  /** Absolute data directory. */
  dataDir: string;
  /** Files extracted (checked against `backup_manifest`) and their bytes. */
  files: number;
  bytes: number;
  /** The lines appended to `postgresql.auto.conf`. */
  settings: string;
}

/**
 * Point-in-time recovery into an empty data directory (PG15 docs "Recovering Using a Continuous
 * Archive Backup"; protocols.md 6.2):
 *
 * 1. lists the job's base backups and the archived timeline history files;
 * 2. chooses the base backup (`planPitr`: the newest that ended before the target, on the target
 *    timeline's history);
 * 3. extracts its `base.tar` into `dataDir`, checking every file against `backup_manifest`;
 * 4. creates `recovery.signal` and appends `restore_command`, the one target,
 *    `recovery_target_timeline` and `recovery_target_action` to `postgresql.auto.conf`.
 *
 * The server is not started: start it (as the data directory's owner) with
 * `pg_ctl -D <dataDir> start`, or use `startRecoveredServer`. It replays the archived WAL through
 * `restore_command` and stops at the target.
 *
 * @throws BackupError `NOT_FOUND` (no usable base backup), `CONFIG_INVALID`, `TARGET_NOT_EMPTY`,
 *   `VERIFY_FAILED`, `CHECKSUM_MISMATCH`, `DECRYPT_FAILED`, `RESTORE_FAILED`,
 *   `STORAGE_UNREACHABLE`, `ABORTED`.
 */
export async function restorePitr(options: RestorePitrOptions): Promise<RestorePitrResult> {
  const logger = options.logger ?? silentLogger;
  const { catalog, job } = options;
  const bases: BaseBackupInfo[] = [];
  for (const manifest of await catalog.listBackups(job)) {
    const info = baseBackupInfo(manifest);
    if (info) bases.push(info);
  }
  const histories = new Map<number, TimelineHistoryEntry[]>();
  for (const entry of await listArchivedWal(catalog.storage, job)) {
    if (entry.file.kind !== 'history' || !entry.sidecar) continue;
    const content = await readArchivedWalFile(catalog.storage, job, entry.file.name, options.decryptor);
    if (content) histories.set(entry.file.timeline, parseTimelineHistory(content.toString('utf8')));
  }
  const plan = planPitr({
    bases,
    histories,
    target: options.target,
    targetTimeline: options.targetTimeline,
    baseId: options.baseId,
  });
  logger.info(
    { job, base: plan.base.id, timeline: plan.timeline, target: options.target.kind, reason: plan.reason },
    'point-in-time recovery planned',
  );
  const artifact = plan.base.manifest.artifacts.find((a) => a.mediaType === POSTGRES_BASE_BACKUP_MEDIA_TYPE);
  if (!artifact) throw new BackupError('MANIFEST_INVALID', `Set ${job}/${plan.base.id} has no base.tar`);
  const source = await catalog.openArtifact(plan.base.manifest, artifact, {
    decryptor: options.decryptor,
    signal: options.signal,
  });
  const extracted = await extractBaseBackup(source, options.dataDir, {
    owner: options.owner,
    walSegmentSize: plan.base.walSegmentSize,
    signal: options.signal,
  });
  const dir = extracted.dataDir;
  const settings = recoverySettings({
    restoreCommand: options.restoreCommand,
    target: options.target,
    timeline: plan.recoveryTargetTimeline,
    action: options.action,
    inclusive: options.inclusive,
    extra: options.disableArchiving ? { archive_mode: 'off' } : undefined,
    comment: `point-in-time recovery from ${job}/${plan.base.id}, written by backup pitr-restore at ${(options.clock ?? (() => new Date()))().toISOString()}`,
  });
  const owner = options.owner ?? (process.getuid?.() === 0 ? await ownerOf(dir) : undefined);
  const signalFile = join(dir, 'recovery.signal');
  const autoConf = join(dir, 'postgresql.auto.conf');
  await writeFile(signalFile, '', { mode: 0o600 });
  await appendFile(autoConf, `\n${settings}`, { mode: 0o600 });
  if (owner) {
    for (const path of [signalFile, autoConf]) await chown(path, owner.uid, owner.gid);
  }
  logger.info({ job, dataDir: dir, files: extracted.files }, 'base backup restored; recovery configured');
  return { plan, dataDir: dir, files: extracted.files, bytes: extracted.bytes, settings };
}

async function ownerOf(path: string): Promise<{ uid: number; gid: number }> {
  const s = await stat(path);
  return { uid: s.uid, gid: s.gid };
}
