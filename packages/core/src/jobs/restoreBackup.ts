import type { Catalog } from '../catalog/Catalog.js';
import type { Engine, EngineContext, RestoreResult } from '../engine/Engine.js';
import { BackupError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Manifest } from '../manifest/schema.js';
import type { ArtifactDecryptor } from '../pipeline/encryption.js';

/** Options of {@link restoreBackup}. */
export interface RestoreBackupOptions<TOptions> {
  catalog: Catalog;
  manifest: Manifest;
  engine: Engine<TOptions>;
  /** Unit names to restore; default every unit in the manifest. Unknown names throw `NOT_FOUND`. */
  units?: readonly string[] | undefined;
  /** Engine-specific target and safety options, passed to every unit's restore. */
  options: TOptions;
  decryptor?: ArtifactDecryptor | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** Progress: artifact name and stored bytes read so far. */
  onProgress?: ((artifact: string, storedBytes: number) => void) | undefined;
}

/**
 * Restores units of a backup set through their engine, one after another, streaming each
 * artifact with checksum verification. Throws the first unit's error (`TARGET_NOT_EMPTY`,
 * `RESTORE_FAILED`, `CHECKSUM_MISMATCH`, `DECRYPT_FAILED`...); units restored before it stay.
 */
export async function restoreBackup<TOptions>(
  options: RestoreBackupOptions<TOptions>,
): Promise<RestoreResult[]> {
  const { catalog, manifest } = options;
  if (manifest.engine.name !== options.engine.name) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Set ${manifest.job}/${manifest.id} was made by engine ${manifest.engine.name}, not ${options.engine.name}`,
    );
  }
  const wanted = options.units ?? manifest.units.map((u) => u.name);
  const units = wanted.map((name) => {
    const unit = manifest.units.find((u) => u.name === name);
    if (!unit) {
      const known = manifest.units.map((u) => u.name).join(', ');
      throw new BackupError(
        'NOT_FOUND',
        `Set ${manifest.job}/${manifest.id} has no unit "${name}" (it has: ${known})`,
      );
    }
    return unit;
  });
  const ctx: EngineContext = {
    signal: options.signal ?? new AbortController().signal,
    logger: options.logger ?? silentLogger,
  };
  const results: RestoreResult[] = [];
  for (const unit of units) {
    const artifacts = manifest.artifacts.filter((a) => a.unit === unit.name);
    results.push(
      await options.engine.restore(
        {
          unit,
          artifacts,
          options: options.options,
          open: (artifact) =>
            catalog.openArtifact(manifest, artifact, {
              decryptor: options.decryptor,
              signal: ctx.signal,
              onProgress: options.onProgress ? (n) => options.onProgress?.(artifact.name, n) : undefined,
            }),
        },
        ctx,
      ),
    );
    ctx.logger.info({ job: manifest.job, set: manifest.id, unit: unit.name }, 'unit restored');
  }
  return results;
}
