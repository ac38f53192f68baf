import { pipeline, type Readable } from 'node:stream';
import {
  type ArtifactRecord,
  type ArtifactSink,
  BackupError,
  type BackupUnit,
  type Engine,
  type EngineContext,
  type EngineDescription,
  type RestoreInput,
  type RestoreResult,
  spawnSource,
} from '@backup/core';
import type pg from 'pg';
import { connectionEnv } from '../connectionEnv.js';
import { openClient } from '../openClient.js';
import { redactSecret } from '../redactSecret.js';
import { resolveBinDir, toolPath } from '../resolveBinDir.js';
import { serverLabel } from '../serverLabel.js';
import { readToolVersion, serverMajor, type ToolVersion } from '../toolVersion.js';
import { pruneWal } from '../wal/pruneWal.js';
import { BaseBackupChecker } from './BaseBackupChecker.js';
import { BaseBackupInspector } from './BaseBackupInspector.js';
import { extractBaseBackup } from './extractBaseBackup.js';
import { formatLsn } from './lsn.js';
import { CLUSTER_UNIT, POSTGRES_BASE_BACKUP_MEDIA_TYPE } from './physicalMediaTypes.js';
import { TarParser } from './TarParser.js';

/** Options of {@link createPostgresPhysicalEngine}: the source server and how to copy it. */
export interface PostgresPhysicalEngineOptions {
  /**
   * `postgres://user:password@host:5432/postgres`: a user with the `REPLICATION` attribute (or a
   * superuser) and a `replication` line in `pg_hba.conf`; its database is used for the SQL checks.
   * The libpq variables of `env` supply what it leaves out (see `connectionEnv`). The password goes
   * to `pg_basebackup` through `PGPASSWORD`, never argv.
   */
  url?: string | undefined;
  /** Environment for libpq defaults and `pg_basebackup`; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Directory holding `pg_basebackup`; default the newest `/usr/lib/postgresql/<major>/bin`, else `PATH`. */
  binDir?: string | undefined;
  /**
   * `pg_basebackup --checkpoint`: `fast` (default; the backup starts at once, with an immediate
   * checkpoint's I/O burst) or `spread` (waits for a checkpoint spread over `checkpoint_timeout`).
   */
  checkpoint?: 'fast' | 'spread' | undefined;
}

/** Options of the physical engine's `restore`: where to put the data directory. */
export interface PostgresPhysicalRestoreOptions {
  /** Empty or missing directory that receives the cluster (created with mode 0700). */
  dataDir: string;
  /** Owner of the extracted files; default the owner of `dataDir` when running as root. */
  owner?: { uid: number; gid: number } | undefined;
}

/**
 * Creates the physical PostgreSQL engine (name `postgres`, job `mode: physical`): one unit
 * `cluster` whose artifact `base.tar` is the stream of
 * `pg_basebackup -D - -Ft -X fetch --checkpoint=fast --manifest-checksums=CRC32C --no-password`
 * (protocols.md 6.3; PG15 `pg_basebackup(1)`): the whole data directory with the WAL needed to
 * reach consistency in `pg_wal/` and `backup_manifest` injected last, so `tar -x` +
 * `pg_verifybackup` work without this tool. The tar is parsed on the way through the pipeline to
 * record, in the unit's metadata: `startLsn`, `stopLsn`, `timeline`, `stopTimeline`,
 * `startWalFile`, `systemIdentifier`, `serverVersionNum`, `walSegmentSize`, `startTime`,
 * `stopTime` (server clock), `nextXid` (see `baseBackupMetadataSchema`).
 *
 * - `describe`: server version and metadata `mode: 'physical'`, `serverVersionNum`,
 *   `systemIdentifier`, `timeline`, `walSegmentSize`, `archiveMode`, `walLevel`,
 *   `pgBasebackupVersion`, `server`. Logs a warning when `archive_mode` is off (no PITR).
 * - `verify`: the tar against its `backup_manifest` (sizes, CRC32C, manifest checksum, WAL present).
 * - `restore`: extracts `base.tar` into `options.dataDir` (no recovery settings: use
 *   `restorePitr` for point-in-time recovery).
 * - `pruneExtra`: deletes archived WAL older than the oldest kept base backup (`pruneWal`).
 *
 * Restrictions of `-D -`: no tablespaces besides the default ones and a server that keeps the WAL
 * of the backup's duration (`wal_keep_size`, or archiving) since it is fetched at the end.
 *
 * @throws BackupError `CONFIG_INVALID` at creation for malformed options; calls throw
 *   `SOURCE_FAILED` (connection, permissions, pg_basebackup failure with its stderr),
 *   `CONFIG_INVALID` (pg_basebackup older than the server), `VERIFY_FAILED`, `TARGET_NOT_EMPTY`,
 *   `RESTORE_FAILED`, `ABORTED`.
 */
export function createPostgresPhysicalEngine(
  options: PostgresPhysicalEngineOptions = {},
): Engine<PostgresPhysicalRestoreOptions> {
  validateOptions(options);
  const env = connectionEnv(options.url, options.env ?? process.env);
  const binDir = resolveBinDir(options.binDir);
  const binLabel = binDir ?? 'PATH';
  const checkpoint = options.checkpoint ?? 'fast';
  const secret = env['PGPASSWORD'];
  let basebackupVersion: Promise<ToolVersion> | undefined;
  const pgBasebackup = () => {
    basebackupVersion ??= readToolVersion(toolPath(binDir, 'pg_basebackup'));
    basebackupVersion.catch(() => {
      basebackupVersion = undefined;
    });
    return basebackupVersion;
  };

  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await openClient(env, env['PGDATABASE'] || 'postgres', 'SOURCE_FAILED');
    try {
      return await fn(client);
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError(
        'SOURCE_FAILED',
        `Query on ${serverLabel(env)} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function serverFacts(client: pg.Client) {
    const { rows } = await client.query<{
      version: string;
      num: string;
      sysid: string;
      timeline: number;
      seg: string;
      archive_mode: string;
      wal_level: string;
      now: Date;
    }>(
      `select current_setting('server_version') as version,
              current_setting('server_version_num') as num,
              (select system_identifier::text from pg_control_system()) as sysid,
              (select timeline_id from pg_control_checkpoint()) as timeline,
              (select setting from pg_settings where name = 'wal_segment_size') as seg,
              current_setting('archive_mode') as archive_mode,
              current_setting('wal_level') as wal_level,
              now() as now`,
    );
    const row = rows[0]!;
    return {
      version: row.version.split(' ')[0]!,
      versionNum: Number(row.num),
      systemIdentifier: row.sysid,
      timeline: Number(row.timeline),
      walSegmentSize: Number(row.seg),
      archiveMode: row.archive_mode,
      walLevel: row.wal_level,
      now: row.now,
    };
  }

  function checkVersion(tool: ToolVersion, versionNum: number): void {
    if (tool.major >= serverMajor(versionNum)) return;
    throw new BackupError(
      'CONFIG_INVALID',
      `pg_basebackup ${tool.version} (${binLabel}) cannot back up a PostgreSQL ${serverMajor(versionNum)} server; ` +
        `install postgresql-client-${serverMajor(versionNum)} or set binDir`,
    );
  }

  return {
    name: 'postgres',

    async describe(ctx: EngineContext): Promise<EngineDescription> {
      const tool = await pgBasebackup();
      const facts = await withClient(serverFacts);
      checkVersion(tool, facts.versionNum);
      if (facts.archiveMode === 'off') {
        ctx.logger.warn(
          { server: serverLabel(env) },
          'archive_mode is off: base backups can be restored, but point-in-time recovery needs WAL archiving (archive_command = backup wal-push %p)',
        );
      }
      return {
        version: facts.version,
        metadata: {
          mode: 'physical',
          serverVersionNum: facts.versionNum,
          systemIdentifier: facts.systemIdentifier,
          timeline: facts.timeline,
          walSegmentSize: facts.walSegmentSize,
          archiveMode: facts.archiveMode,
          walLevel: facts.walLevel,
          pgBasebackupVersion: tool.text,
          binDir: binLabel,
          server: serverLabel(env),
        },
      };
    },

    async discover(_ctx: EngineContext): Promise<BackupUnit[]> {
      const facts = await withClient(serverFacts);
      return [
        {
          name: CLUSTER_UNIT,
          kind: CLUSTER_UNIT,
          metadata: { systemIdentifier: facts.systemIdentifier, serverVersionNum: facts.versionNum },
        },
      ];
    },

    async backup(unit: BackupUnit, sink: ArtifactSink, ctx: EngineContext) {
      if (unit.kind !== CLUSTER_UNIT) {
        throw new BackupError('INTERNAL', `The physical postgres engine has no unit kind "${unit.kind}"`);
      }
      const tool = await pgBasebackup();
      const before = await withClient(serverFacts);
      checkVersion(tool, before.versionNum);
      const args = [
        '--pgdata=-',
        '--format=tar',
        '--wal-method=fetch',
        `--checkpoint=${checkpoint}`,
        '--manifest-checksums=CRC32C',
        `--label=backup ${before.now.toISOString()}`,
        '--no-password',
      ];
      ctx.logger.debug({ command: toolPath(binDir, 'pg_basebackup'), args }, 'starting base backup');
      const source = spawnSource(toolPath(binDir, 'pg_basebackup'), args, {
        env,
        signal: ctx.signal,
        label: 'pg_basebackup',
      });
      const inspector = new BaseBackupInspector();
      const tar: Readable = pipeline(source, inspector, () => {});
      try {
        await sink.write({
          name: 'base.tar',
          unit: unit.name,
          mediaType: POSTGRES_BASE_BACKUP_MEDIA_TYPE,
          source: tar,
          metadata: {
            format: 'tar',
            walMethod: 'fetch',
            manifestChecksums: 'CRC32C',
            walSegmentSize: before.walSegmentSize,
            pgBasebackupVersion: tool.version,
          },
        });
      } catch (error) {
        throw redactSecret(error, secret);
      }
      const { label, manifest, systemIdentifier, files, fileBytes } = inspector.facts;
      const last = manifest.walRanges[manifest.walRanges.length - 1]!;
      const after = await withClient(async (client) => {
        const { rows } = await client.query<{ now: Date; xmax: string }>(
          'select now() as now, pg_snapshot_xmax(pg_current_snapshot())::text as xmax',
        );
        return rows[0]!;
      });
      const facts = {
        startLsn: formatLsn(label.startLsn),
        stopLsn: formatLsn(last.end),
        timeline: label.timeline,
        stopTimeline: last.timeline,
        startWalFile: label.startWalFile,
        checkpointLsn: formatLsn(label.checkpointLsn),
        systemIdentifier,
        serverVersionNum: before.versionNum,
        walSegmentSize: before.walSegmentSize,
        startTime: before.now.toISOString(),
        stopTime: after.now.toISOString(),
        nextXid: after.xmax,
        backupFrom: label.backupFrom,
        label: label.label,
        files,
        fileBytes,
        pgBasebackupVersion: tool.version,
      };
      ctx.logger.info(
        { startLsn: facts.startLsn, stopLsn: facts.stopLsn, timeline: facts.timeline, files },
        'base backup streamed',
      );
      return facts;
    },

    async verify(artifact: ArtifactRecord, plaintext: Readable, ctx: EngineContext): Promise<void> {
      if (artifact.mediaType !== POSTGRES_BASE_BACKUP_MEDIA_TYPE) {
        plaintext.destroy();
        throw new BackupError(
          'VERIFY_FAILED',
          `${artifact.name} has media type ${artifact.mediaType}, which the physical postgres engine does not write`,
        );
      }
      const parser = new TarParser();
      const checker = new BaseBackupChecker({ segmentSize: walSegmentSizeOf(artifact) });
      for await (const chunk of plaintext) {
        if (ctx.signal.aborted) {
          plaintext.destroy();
          throw new BackupError('ABORTED', `Verification of ${artifact.name} was aborted`);
        }
        for (const event of parser.push(chunk as Buffer)) checker.push(event);
      }
      parser.finish();
      const result = checker.finish();
      ctx.logger.debug(
        { artifact: artifact.name, files: result.files, bytes: result.bytes },
        'base backup verified',
      );
    },

    async restore(
      input: RestoreInput<PostgresPhysicalRestoreOptions>,
      ctx: EngineContext,
    ): Promise<RestoreResult> {
      const dataDir = input.options?.dataDir;
      if (typeof dataDir !== 'string' || dataDir === '') {
        throw new BackupError(
          'CONFIG_INVALID',
          'A physical backup is restored into a data directory: pass options.dataDir (CLI: backup pitr-restore --data-dir DIR)',
        );
      }
      const artifact = input.artifacts.find((a) => a.mediaType === POSTGRES_BASE_BACKUP_MEDIA_TYPE);
      if (!artifact) {
        throw new BackupError(
          'RESTORE_FAILED',
          `Unit ${input.unit.name} has no base.tar artifact in this set`,
        );
      }
      const extracted = await extractBaseBackup(await input.open(artifact), dataDir, {
        owner: input.options.owner,
        walSegmentSize: walSegmentSizeOf(artifact),
        signal: ctx.signal,
      });
      return {
        unit: input.unit.name,
        target: extracted.dataDir,
        metadata: { files: extracted.files, bytes: extracted.bytes },
      };
    },

    async pruneExtra(input, ctx) {
      return pruneWal({ ...input, logger: ctx.logger });
    },
  };
}

function walSegmentSizeOf(artifact: ArtifactRecord): number | undefined {
  const size = artifact.metadata['walSegmentSize'];
  return typeof size === 'number' ? size : undefined;
}

function validateOptions(options: PostgresPhysicalEngineOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `postgres physical engine option ${field} must be ${expected}`);
  };
  if (options.url !== undefined && (typeof options.url !== 'string' || options.url === '')) {
    invalid('url', 'a postgres:// URL');
  }
  if (options.binDir !== undefined && (typeof options.binDir !== 'string' || options.binDir === '')) {
    invalid('binDir', 'a directory path');
  }
  if (options.checkpoint !== undefined && options.checkpoint !== 'fast' && options.checkpoint !== 'spread') {
    invalid('checkpoint', '"fast" or "spread"');
  }
}
