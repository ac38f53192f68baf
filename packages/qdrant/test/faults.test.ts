import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackupErrorCode, Catalog, FsStorage, isBackupError, runBackup } from '@backup/core';
import { freePort } from '@backup/test-services';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createQdrantEngine, type QdrantEngineOptions } from '../src/index.js';
import { snapshotFiles } from '../src/testing/doubleRoutes.js';
import { QdrantDouble } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { seedPlainCollection } from './fixtures/seedCollections.js';

// Fault injection against the double: whatever breaks, the job fails with a stable code, the
// partial set is deleted, NO manifest is written, and the server-side snapshot is cleaned up.

let double: QdrantDouble;
let dir: string;
let storage: FsStorage;

beforeAll(async () => {
  double = await QdrantDouble.start({ validator: await SpecValidator.load() });
  // ~0.8 MB snapshot: a cut at half leaves a lot unread.
  await seedPlainCollection(double.url, 'runbooks', 1500, { dims: 32 });
});
afterAll(() => double?.stop());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qdrant-faults-'));
  storage = new FsStorage({ path: dir });
  double.faults = {};
});
afterEach(async () => {
  double.faults = {};
  await rm(dir, { recursive: true, force: true });
  expect(double.violations).toEqual([]);
});

const engine = (options: Partial<QdrantEngineOptions> = {}) =>
  createQdrantEngine({ url: double.url, retries: 1, retryDelayMs: 10, ...options });

async function expectFailedJob(
  options: Partial<QdrantEngineOptions>,
  code: BackupErrorCode,
  message: RegExp,
): Promise<void> {
  const error = await runBackup({
    job: 'faults',
    engine: engine(options),
    storage,
    compression: { algorithm: 'zstd' },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBackupError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  expect((error as Error).message).toMatch(message);
  // no manifest, no set, not even a partial artifact
  expect(await new Catalog(storage).listBackups('faults')).toEqual([]);
  const left: string[] = [];
  for await (const object of storage.list('')) left.push(object.key);
  expect(left).toEqual([]);
  // the server-side snapshot was deleted after the failure too
  expect(await snapshotFiles(double)).toEqual([]);
}

describe('faults fail the job before its manifest', () => {
  it('a download cut halfway: SOURCE_FAILED', async () => {
    double.faults = { cutDownload: true };
    await expectFailedJob(
      {},
      'SOURCE_FAILED',
      /Snapshot runbooks-.*\.snapshot from http:\/\/127\.0\.0\.1:\d+ failed after \d+ of \d+ bytes/,
    );
  });

  it('a snapshot whose bytes do not match the checksum Qdrant reported: CHECKSUM_MISMATCH', async () => {
    double.faults = { wrongChecksum: true };
    await expectFailedJob(
      {},
      'CHECKSUM_MISMATCH',
      /sha256 of the downloaded bytes is [0-9a-f]{64}, Qdrant reported [0-9a-f]{64}/,
    );
  });

  it('a download that stalls longer than timeoutMs: SOURCE_FAILED', async () => {
    double.faults = { stallDownload: true };
    await expectFailedJob(
      { timeoutMs: 400 },
      'SOURCE_FAILED',
      /no data for 400 ms after \d+ bytes \(stalled\)/,
    );
  });

  /** Runs a backup that is cancelled as soon as the double has received a request of `operationId`. */
  async function cancelledAt(operationId: string): Promise<unknown> {
    const controller = new AbortController();
    const before = double.served(operationId).length;
    const watch = setInterval(() => {
      if (double.served(operationId).length > before) controller.abort();
    }, 2);
    try {
      return await runBackup({
        job: 'faults',
        engine: engine(),
        storage,
        compression: { algorithm: 'zstd' },
        signal: controller.signal,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
    } finally {
      clearInterval(watch);
    }
  }

  it('a cancelled job (SIGTERM) during a download: ABORTED, server snapshot deleted', async () => {
    double.faults = { stallDownload: true };
    const error = await cancelledAt('get_snapshot');
    expect(isBackupError(error, 'ABORTED'), String(error)).toBe(true);
    expect(await new Catalog(storage).listBackups('faults')).toEqual([]);
    await expect.poll(() => snapshotFiles(double), { timeout: 5000 }).toEqual([]);
  });

  it('a job cancelled while Qdrant creates the snapshot still deletes it once it exists', async () => {
    const error = await cancelledAt('create_snapshot');
    expect(isBackupError(error, 'ABORTED'), String(error)).toBe(true);
    expect(await new Catalog(storage).listBackups('faults')).toEqual([]);
    await expect.poll(() => snapshotFiles(double), { timeout: 5000 }).toEqual([]);
  });

  it('an unreachable node: SOURCE_FAILED after the retries', async () => {
    const port = await freePort();
    const error = await runBackup({
      job: 'faults',
      engine: createQdrantEngine({ url: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 5 }),
      storage,
      compression: { algorithm: 'zstd' },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /Reading the version \(GET \/\) on http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/,
    );
    expect(await new Catalog(storage).listBackups('faults')).toEqual([]);
  });

  it('a failed snapshot creation is not retried (it could leave a second snapshot)', async () => {
    double.faults = { failNext: { operationId: 'create_snapshot', status: 503, times: 1 } };
    const before = double.served('create_snapshot').length;
    await expectFailedJob(
      {},
      'SOURCE_FAILED',
      /Creating a snapshot of collection runbooks .* failed: HTTP 503/,
    );
    expect(double.served('create_snapshot').length - before).toBe(1);
  });
});

describe('transient errors', () => {
  it('retries idempotent reads and downloads on 503, then succeeds', async () => {
    double.faults = { failNext: { operationId: 'get_collections', status: 503, times: 2 } };
    const listed = double.served('get_collections').length;
    const manifest = await runBackup({
      job: 'faults',
      engine: engine({ retries: 2 }),
      storage,
      compression: { algorithm: 'zstd' },
    });
    expect(manifest.artifacts.map((a) => a.name)).toEqual(['runbooks.snapshot.zst']);
    expect(double.served('get_collections').length - listed).toBe(3);

    double.faults = { failNext: { operationId: 'get_snapshot', status: 502, times: 1 } };
    const downloads = double.served('get_snapshot').length;
    const second = await runBackup({
      job: 'faults-again',
      engine: engine({ retries: 2 }),
      storage,
      compression: { algorithm: 'zstd' },
    });
    expect(second.artifacts).toHaveLength(1);
    expect(double.served('get_snapshot').length - downloads).toBe(2);
    expect(await snapshotFiles(double)).toEqual([]);
  });
});
