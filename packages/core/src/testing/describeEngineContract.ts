import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../catalog/Catalog.js';
import type { Engine } from '../engine/Engine.js';
import { isBackupError } from '../errors.js';
import { restoreBackup } from '../jobs/restoreBackup.js';
import { runBackup } from '../jobs/runBackup.js';
import { verifyBackup } from '../jobs/verifyBackup.js';
import { FsStorage } from '../storage/FsStorage.js';

/** What the engine round-trip suite needs from an engine package's test. */
export interface EngineContractFixture<TOptions> {
  /** Engine bound to a source that `seed` filled. */
  // biome-ignore lint/suspicious/noExplicitAny: any engine
  engine: Engine<any>;
  /** A deterministic digest of the source's content (rows, keys, points...). */
  snapshotSource(): Promise<unknown>;
  /** Restore options that write into an EMPTY target without overwrite permission. */
  restoreOptions: TOptions;
  /** The same target, allowing overwrite (the engine's `force`/`clean` flag). */
  overwriteOptions: TOptions;
  /** A digest of the target after restore; must equal `snapshotSource()`. */
  snapshotTarget(): Promise<unknown>;
  cleanup?: () => Promise<void>;
}

/**
 * The ONE round trip every engine must pass: back up into a fresh fs repository, verify (deep),
 * restore into an empty target, compare digests; then a second restore into the now non-empty
 * target must fail with `TARGET_NOT_EMPTY`, and succeed with the overwrite options; finally a
 * corrupted artifact must fail verification.
 */
export function describeEngineContract<TOptions>(
  name: string,
  factory: () => Promise<EngineContractFixture<TOptions>>,
): void {
  describe(`Engine contract: ${name}`, () => {
    let fixture: EngineContractFixture<TOptions>;
    let dir: string;
    let storage: FsStorage;
    beforeAll(async () => {
      fixture = await factory();
      dir = await mkdtemp(join(tmpdir(), 'engine-contract-'));
      storage = new FsStorage({ path: dir });
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('backs up, verifies, restores identical data, refuses to overwrite, detects corruption', async () => {
      const manifest = await runBackup({
        job: 'contract',
        engine: fixture.engine,
        storage,
        compression: { algorithm: 'zstd', level: 3 },
      });
      expect(manifest.artifacts.length).toBeGreaterThan(0);
      const catalog = new Catalog(storage);
      expect((await catalog.resolve('contract', 'latest')).id).toBe(manifest.id);

      const report = await verifyBackup({ catalog, manifest, engine: fixture.engine });
      expect(report.artifacts.filter((a) => !a.ok)).toEqual([]);
      expect(report.artifacts.every((a) => a.level === 'deep')).toBe(true);

      const expected = await fixture.snapshotSource();
      await restoreBackup({ catalog, manifest, engine: fixture.engine, options: fixture.restoreOptions });
      expect(await fixture.snapshotTarget()).toEqual(expected);

      await expect(
        restoreBackup({ catalog, manifest, engine: fixture.engine, options: fixture.restoreOptions }),
      ).rejects.toSatisfy((e) => isBackupError(e, 'TARGET_NOT_EMPTY'));
      await restoreBackup({ catalog, manifest, engine: fixture.engine, options: fixture.overwriteOptions });
      expect(await fixture.snapshotTarget()).toEqual(expected);

      // Flip one byte in the middle of the largest artifact: verify must report it.
      const { readFile, writeFile } = await import('node:fs/promises');
      const largest = [...manifest.artifacts].sort((a, b) => b.storedBytes - a.storedBytes)[0]!;
      const path = join(dir, ...largest.key.split('/'));
      const bytes = await readFile(path);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0xff;
      await writeFile(path, bytes);
      const bad = await verifyBackup({ catalog, manifest, engine: fixture.engine });
      expect(bad.ok).toBe(false);
      expect(bad.artifacts.find((a) => a.name === largest.name)?.error?.code).toBe('CHECKSUM_MISMATCH');
    });
  });
}
