import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactRecord,
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  restoreBackup,
  runBackup,
} from '@backup/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantEngine } from '../src/index.js';
import { QdrantDouble } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { qdrantOk, qdrantRequest } from './fixtures/qdrantHttp.js';
import { seedPlainCollection, seedRichCollection } from './fixtures/seedCollections.js';

// Restore paths of snapshot sets: upload (priority + checksum sent), recover from a URL (what a
// presigned S3 URL gives), renaming, refusing to overwrite, incompatible targets, corrupt artifacts.

let double: QdrantDouble;
let dir: string;
let storage: FsStorage;
let catalog: Catalog;
let plain: Manifest;
let zstd: Manifest;
let files: http.Server;
let filesUrl: string;

beforeAll(async () => {
  double = await QdrantDouble.start({ validator: await SpecValidator.load() });
  await seedRichCollection(double.url, 'runbooks', 60);
  await seedPlainCollection(double.url, 'entities', 80);
  dir = await mkdtemp(join(tmpdir(), 'qdrant-restore-'));
  storage = new FsStorage({ path: dir });
  catalog = new Catalog(storage);
  const engine = createQdrantEngine({ url: double.url, collections: ['runbooks'] });
  plain = await runBackup({ job: 'plain', engine, storage, compression: { algorithm: 'none' } });
  zstd = await runBackup({ job: 'zstd', engine, storage, compression: { algorithm: 'zstd' } });
  // Stands in for a presigned S3 URL: serves stored objects by key over HTTP.
  files = http.createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? '/').slice(1));
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(join(dir, ...key.split('/'))).pipe(res);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  const address = files.address() as { port: number };
  filesUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await double?.stop();
  await new Promise((resolve) => files?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(double.violations).toEqual([]);
});

const engine = () => createQdrantEngine({ url: double.url });
const presign = async (artifact: ArtifactRecord) => `${filesUrl}/${encodeURIComponent(artifact.key)}`;

describe('restore of a collection snapshot', () => {
  it('uploads with priority=snapshot and our sha256 as checksum, under another name', async () => {
    const [result] = await restoreBackup({
      catalog,
      manifest: zstd,
      engine: engine(),
      options: { into: 'runbooks_upload' },
    });
    expect(result).toMatchObject({
      unit: 'runbooks',
      metadata: { method: 'upload', pointsCount: 60, replaced: false },
    });
    const upload = double.served('recover_from_uploaded_snapshot').at(-1)!;
    expect(upload.path).toBe('/collections/runbooks_upload/snapshots/upload');
    expect(upload.query).toEqual({
      wait: 'true',
      priority: 'snapshot',
      checksum: zstd.artifacts[0]!.plaintextSha256,
    });
    expect(await digestCollection(double.url, 'runbooks_upload')).toEqual(
      await digestCollection(double.url, 'runbooks'),
    );
  });

  it('lets Qdrant fetch an uncompressed, unencrypted artifact from a (presigned) URL', async () => {
    const [result] = await restoreBackup({
      catalog,
      manifest: plain,
      engine: engine(),
      options: { into: 'runbooks_url', method: 'recover-url', presign },
    });
    expect(result?.metadata).toMatchObject({ method: 'recover-url', pointsCount: 60 });
    const recover = double.served('recover_from_snapshot').at(-1)!;
    expect(recover.body).toEqual({
      location: await presign(plain.artifacts[0]!),
      priority: 'snapshot',
      checksum: plain.artifacts[0]!.storedSha256,
    });
    expect(await digestCollection(double.url, 'runbooks_url')).toEqual(
      await digestCollection(double.url, 'runbooks'),
    );
    // presignedUrl is the single-artifact shortcut
    await restoreBackup({
      catalog,
      manifest: plain,
      engine: engine(),
      options: {
        into: 'runbooks_url',
        replace: true,
        method: 'recover-url',
        presignedUrl: await presign(plain.artifacts[0]!),
      },
    });
  });

  it('refuses recover-url for a compressed artifact, and without a URL', async () => {
    await expect(
      restoreBackup({
        catalog,
        manifest: zstd,
        engine: engine(),
        options: { into: 'never', method: 'recover-url', presign },
      }),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'CONFIG_INVALID') && /uncompressed and unencrypted/.test((e as Error).message),
    );
    await expect(
      restoreBackup({
        catalog,
        manifest: plain,
        engine: engine(),
        options: { into: 'never', method: 'recover-url' },
      }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'CONFIG_INVALID'));
    expect((await qdrantRequest(double.url, 'GET', '/collections/never')).status).toBe(404);
  });

  it('refuses a non-empty target without replace, and recreates an incompatible one with replace', async () => {
    await expect(
      restoreBackup({ catalog, manifest: zstd, engine: engine(), options: { into: 'entities' } }),
    ).rejects.toSatisfy(
      (e) => isBackupError(e, 'TARGET_NOT_EMPTY') && /holds 80 points/.test((e as Error).message),
    );
    // `entities` has one unnamed Cosine vector; the snapshot of `runbooks` named vectors: Qdrant
    // would refuse to recover into it, so replace deletes it first.
    const [result] = await restoreBackup({
      catalog,
      manifest: zstd,
      engine: engine(),
      options: { into: 'entities', replace: true },
    });
    expect(result?.metadata).toMatchObject({ replaced: true, recreated: true, pointsCount: 60 });
    expect(await digestCollection(double.url, 'entities')).toEqual(
      await digestCollection(double.url, 'runbooks'),
    );
  });

  it('refuses to restore two collections into the same name', async () => {
    const both = await runBackup({
      job: 'both',
      engine: createQdrantEngine({ url: double.url, collections: ['runbooks', 'runbooks_upload'] }),
      storage,
      compression: { algorithm: 'none' },
    });
    await expect(
      restoreBackup({ catalog, manifest: both, engine: engine(), options: { into: 'merged' } }),
    ).rejects.toSatisfy(
      (e) =>
        isBackupError(e, 'CONFIG_INVALID') &&
        /already received collection runbooks/.test((e as Error).message),
    );
  });

  it('a corrupted stored artifact fails the upload with CHECKSUM_MISMATCH and restores nothing', async () => {
    const artifact = plain.artifacts[0]!;
    const path = join(dir, ...artifact.key.split('/'));
    const original = await readFile(path);
    const bytes = Buffer.from(original);
    bytes[bytes.length - 2000] = bytes[bytes.length - 2000]! ^ 0xff;
    await writeFile(path, bytes);
    try {
      await expect(
        restoreBackup({ catalog, manifest: plain, engine: engine(), options: { into: 'corrupt_copy' } }),
      ).rejects.toSatisfy((e) => isBackupError(e, 'CHECKSUM_MISMATCH'));
      expect((await qdrantRequest(double.url, 'GET', '/collections/corrupt_copy')).status).toBe(404);
    } finally {
      await writeFile(path, original);
    }
  });

  it('restores under the original name after it was dropped', async () => {
    await qdrantOk(double.url, 'DELETE', '/collections/runbooks_upload');
    const before = await digestCollection(double.url, 'runbooks');
    await qdrantOk(double.url, 'DELETE', '/collections/runbooks');
    await restoreBackup({ catalog, manifest: zstd, engine: engine(), options: {} });
    expect(await digestCollection(double.url, 'runbooks')).toEqual(before);
  });
});
