import type { Engine, EngineContext } from '../engine/Engine.js';
import { BackupError, toBackupError } from '../errors.js';
import { backupChannels, type JobEvent } from '../events.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Manifest, UnitRecord } from '../manifest/schema.js';
import type { CompressionSettings } from '../pipeline/compression.js';
import type { ArtifactEncryptor } from '../pipeline/encryption.js';
import { BackupSetWriter } from '../set/BackupSetWriter.js';
import type { StorageBackend } from '../storage/StorageBackend.js';

/** Options of {@link runBackup}. */
export interface RunBackupOptions {
  /** Job name: the path segment of its sets. */
  job: string;
  // biome-ignore lint/suspicious/noExplicitAny: any engine, whatever its restore options
  engine: Engine<any>;
  storage: StorageBackend;
  compression: CompressionSettings;
  encryptor?: ArtifactEncryptor | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** Clock for set ids and times; default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  /** Progress: artifact name and plaintext bytes so far. */
  onProgress?: ((artifact: string, plaintextBytes: number) => void) | undefined;
}

/**
 * Runs one backup job: describe -> discover (meanwhile the new set's id is checked against the
 * storage: one list request) -> back up every unit into the new set -> write the manifest LAST.
 * On any failure the partial set is deleted (best effort; prune collects what remains), no
 * manifest is written, and the error is thrown as a `BackupError`. Publishes `backup:job` events
 * (start, success, failure) for metrics.
 */
export async function runBackup(options: RunBackupOptions): Promise<Manifest> {
  const logger = options.logger ?? silentLogger;
  const signal = options.signal ?? new AbortController().signal;
  const ctx: EngineContext = { signal, logger };
  const clock = options.clock ?? (() => new Date());
  const started = Date.now();
  const base = { job: options.job, engine: options.engine.name };
  publish({ ...base, phase: 'start', time: clock().getTime() });
  let writer: BackupSetWriter | undefined;
  try {
    // The new set's id is checked against the storage (a list request: a round trip to S3) while
    // the engine describes the source: neither waits for the other. Creating writes nothing, so a
    // failure of either leaves nothing behind; the first failure is thrown.
    const creating = BackupSetWriter.create({
      storage: options.storage,
      job: options.job,
      compression: options.compression,
      encryptor: options.encryptor,
      clock,
      signal,
      onProgress: options.onProgress,
    });
    const [[description, units], created] = await Promise.all([
      (async () => {
        const description = await options.engine.describe(ctx);
        const units = await options.engine.discover(ctx);
        if (units.length === 0) {
          throw new BackupError(
            'SOURCE_FAILED',
            `Job ${options.job}: nothing to back up (no units discovered)`,
          );
        }
        return [description, units] as const;
      })(),
      creating,
    ]);
    writer = created;
    logger.info({ ...base, set: writer.id, units: units.map((u) => u.name) }, 'backup started');
    const records: UnitRecord[] = [];
    for (const unit of units) {
      if (signal.aborted) throw new BackupError('ABORTED', 'Backup aborted');
      const unitStarted = Date.now();
      const facts = await options.engine.backup(unit, writer, ctx);
      records.push({ name: unit.name, kind: unit.kind, metadata: { ...unit.metadata, ...facts } });
      const bytes = writer.written.filter((a) => a.unit === unit.name).reduce((n, a) => n + a.storedBytes, 0);
      logger.info(
        { ...base, unit: unit.name, storedBytes: bytes, ms: Date.now() - unitStarted },
        'unit backed up',
      );
    }
    const manifest = await writer.commit({
      engine: { name: options.engine.name, version: description.version, metadata: description.metadata },
      units: records,
    });
    const storedBytes = manifest.artifacts.reduce((n, a) => n + a.storedBytes, 0);
    publish({
      ...base,
      phase: 'success',
      setId: manifest.id,
      time: clock().getTime(),
      durationMs: Date.now() - started,
      storedBytes,
      units: records.map((u) => {
        const arts = manifest.artifacts.filter((a) => a.unit === u.name);
        return {
          name: u.name,
          storedBytes: arts.reduce((n, a) => n + a.storedBytes, 0),
          plaintextBytes: arts.reduce((n, a) => n + a.plaintextBytes, 0),
        };
      }),
    });
    logger.info({ ...base, set: manifest.id, storedBytes, ms: Date.now() - started }, 'backup complete');
    return manifest;
  } catch (caught) {
    const error = signal.aborted
      ? new BackupError('ABORTED', `Backup of job ${options.job} was aborted`, { cause: caught })
      : toBackupError(caught, 'SOURCE_FAILED', `Backup of job ${options.job} failed`);
    if (writer) {
      await writer.discard().catch((e: unknown) => {
        logger.warn({ ...base, set: writer?.id, err: e }, 'could not delete the partial set; prune will');
      });
    }
    publish({
      ...base,
      phase: 'failure',
      setId: writer?.id,
      time: clock().getTime(),
      durationMs: Date.now() - started,
      errorCode: error.code,
    });
    throw error;
  }
}

function publish(event: JobEvent): void {
  if (backupChannels.job.hasSubscribers) backupChannels.job.publish(event);
}
