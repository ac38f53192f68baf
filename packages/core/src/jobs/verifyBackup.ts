import type { Catalog } from '../catalog/Catalog.js';
import type { Engine, EngineContext } from '../engine/Engine.js';
import { BackupError, toBackupError } from '../errors.js';
import { backupChannels } from '../events.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Manifest } from '../manifest/schema.js';
import type { ArtifactDecryptor } from '../pipeline/encryption.js';

/** Result of verifying one artifact. */
export interface ArtifactVerification {
  name: string;
  ok: boolean;
  /** `checksum` (stored bytes only) or `deep` (decrypted, decompressed, engine check). */
  level: 'checksum' | 'deep';
  error?: { code: string; message: string } | undefined;
}

/** Result of {@link verifyBackup}. */
export interface VerifyReport {
  job: string;
  setId: string;
  ok: boolean;
  artifacts: ArtifactVerification[];
}

/** Options of {@link verifyBackup}. */
export interface VerifyBackupOptions {
  catalog: Catalog;
  manifest: Manifest;
  /** Runs the engine's structural check on the plaintext when given (deep verify). */
  // biome-ignore lint/suspicious/noExplicitAny: any engine
  engine?: Engine<any> | undefined;
  /**
   * Needed for a deep verify of encrypted artifacts. Without it, encrypted artifacts are verified
   * at the checksum level only (the backup pods hold no identity).
   */
  decryptor?: ArtifactDecryptor | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Verifies every artifact of a set: stored size + sha256 always; with an engine, the plaintext
 * is decrypted and decompressed (plaintext sha256 checked) and the engine's structural check runs.
 * Never throws for a bad artifact: the report says which failed and why (`CHECKSUM_MISMATCH`,
 * `VERIFY_FAILED`, `DECRYPT_FAILED`...). Publishes a `backup:verify` event, except when the signal
 * was aborted (an interrupted verify is no verdict on the set).
 */
export async function verifyBackup(options: VerifyBackupOptions): Promise<VerifyReport> {
  const { catalog, manifest } = options;
  const logger = options.logger ?? silentLogger;
  const signal = options.signal ?? new AbortController().signal;
  const ctx: EngineContext = { signal, logger };
  const artifacts: ArtifactVerification[] = [];
  for (const artifact of manifest.artifacts) {
    const deep =
      options.engine !== undefined && (artifact.encryption === null || options.decryptor !== undefined);
    const level = deep ? 'deep' : 'checksum';
    try {
      if (deep) {
        const plaintext = await catalog.openArtifact(manifest, artifact, {
          decryptor: options.decryptor,
          signal,
        });
        await options.engine!.verify(artifact, plaintext, ctx);
        // The engine may stop reading early; drain so the checksums are always checked to the end.
        for await (const _ of plaintext) {
          /* drain */
        }
      } else {
        await checkStoredBytes(catalog, manifest, artifact, signal);
      }
      artifacts.push({ name: artifact.name, ok: true, level });
    } catch (caught) {
      let error =
        caught instanceof BackupError
          ? caught
          : toBackupError(caught, 'VERIFY_FAILED', `Verifying ${artifact.name} failed`);
      // Corrupt stored bytes can make the decompressor or the engine's parser fail before the
      // stored checksum is reached: name the root cause (the stored bytes changed) when it is one.
      if (deep && error.code !== 'CHECKSUM_MISMATCH' && !signal.aborted) {
        error = (await storedChecksumError(catalog, manifest, artifact, signal, error)) ?? error;
      }
      logger.error(
        { job: manifest.job, set: manifest.id, artifact: artifact.name, code: error.code },
        error.message,
      );
      artifacts.push({
        name: artifact.name,
        ok: false,
        level,
        error: { code: error.code, message: error.message },
      });
    }
  }
  const report: VerifyReport = {
    job: manifest.job,
    setId: manifest.id,
    ok: artifacts.every((a) => a.ok),
    artifacts,
  };
  // An aborted verify (SIGTERM) says nothing about the set: publish no verdict for it.
  if (backupChannels.verify.hasSubscribers && !signal.aborted) {
    backupChannels.verify.publish({
      job: manifest.job,
      engine: manifest.engine.name,
      setId: manifest.id,
      ok: report.ok,
      time: Date.now(),
    });
  }
  return report;
}

/**
 * Reads the stored bytes of `artifact` once more and returns their `CHECKSUM_MISMATCH` error (its
 * message followed by what the deep check said first), or `undefined` when they match the manifest
 * or cannot be read.
 */
async function storedChecksumError(
  catalog: Catalog,
  manifest: Manifest,
  artifact: Manifest['artifacts'][number],
  signal: AbortSignal,
  first: BackupError,
): Promise<BackupError | undefined> {
  try {
    await checkStoredBytes(catalog, manifest, artifact, signal);
    return undefined;
  } catch (caught) {
    if (!(caught instanceof BackupError) || caught.code !== 'CHECKSUM_MISMATCH') return undefined;
    return new BackupError('CHECKSUM_MISMATCH', `${caught.message} (first symptom: ${first.message})`, {
      cause: caught,
      details: caught.details,
    });
  }
}

/** Reads the stored bytes to the end: readArtifact's DigestStream throws `CHECKSUM_MISMATCH` on any difference. */
async function checkStoredBytes(
  catalog: Catalog,
  manifest: Manifest,
  artifact: Manifest['artifacts'][number],
  signal: AbortSignal,
): Promise<void> {
  const stored = await catalog.openArtifact(manifest, artifact, { as: 'stored', signal });
  for await (const _ of stored) {
    /* drain */
  }
}
