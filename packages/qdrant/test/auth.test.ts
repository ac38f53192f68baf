import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Catalog, FsStorage, isBackupError, restoreBackup, runBackup, silentLogger } from '@backup/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantEngine } from '../src/index.js';
import { QdrantDouble } from '../src/testing/QdrantDouble.js';
import { SpecValidator } from '../src/testing/SpecValidator.js';
import { digestCollection } from './fixtures/digestCollection.js';
import { seedPlainCollection } from './fixtures/seedCollections.js';

// api-key handling (header, from options or env QDRANT_API_KEY) and TLS verification.

let validator: SpecValidator;
let dir: string;
let storage: FsStorage;

beforeAll(async () => {
  validator = await SpecValidator.load();
  dir = await mkdtemp(join(tmpdir(), 'qdrant-auth-'));
  storage = new FsStorage({ path: dir });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('api key', () => {
  it('is rejected without the key (401) or with a wrong one (403); works from env QDRANT_API_KEY', async () => {
    const double = await QdrantDouble.start({ validator, apiKey: 'k3y-from-secret' });
    try {
      await seedPlainCollection(double.url, 'runbooks', 30, { apiKey: 'k3y-from-secret' });
      const none = createQdrantEngine({ url: double.url, env: {}, retries: 0 });
      await expect(
        runBackup({ job: 'auth', engine: none, storage, compression: { algorithm: 'none' } }),
      ).rejects.toSatisfy(
        (e) =>
          isBackupError(e, 'SOURCE_FAILED') &&
          (e as Error).message.includes('HTTP 401: Must provide an API key or an Authorization bearer token'),
      );
      const wrong = createQdrantEngine({ url: double.url, apiKey: 'guess', retries: 0 });
      await expect(
        runBackup({ job: 'auth', engine: wrong, storage, compression: { algorithm: 'none' } }),
      ).rejects.toSatisfy(
        (e) =>
          isBackupError(e, 'SOURCE_FAILED') &&
          (e as Error).message.includes('HTTP 403: Invalid API key or JWT'),
      );
      expect(await new Catalog(storage).listBackups('auth')).toEqual([]);

      const engine = createQdrantEngine({ url: double.url, env: { QDRANT_API_KEY: 'k3y-from-secret' } });
      const manifest = await runBackup({ job: 'auth', engine, storage, compression: { algorithm: 'zstd' } });
      await restoreBackup({ catalog: new Catalog(storage), manifest, engine, options: { into: 'copy' } });
      expect(await digestCollection(double.url, 'copy', 'k3y-from-secret')).toEqual(
        await digestCollection(double.url, 'runbooks', 'k3y-from-secret'),
      );
      // the key never lands in the manifest
      expect(JSON.stringify(manifest)).not.toContain('k3y-from-secret');
      expect(double.violations).toEqual([]);
    } finally {
      await double.stop();
    }
  });
});

describe('api key against a real Qdrant', () => {
  const live = process.env['QDRANT_URL'];
  const key = process.env['QDRANT_API_KEY'];
  it.runIf(live !== undefined && key !== undefined)('is rejected without the key', async () => {
    const engine = createQdrantEngine({ url: live!, env: {}, retries: 0 });
    await expect(
      engine.describe({ signal: new AbortController().signal, logger: silentLogger }),
    ).rejects.toSatisfy((e) => isBackupError(e, 'SOURCE_FAILED') && /HTTP 40[13]/.test((e as Error).message));
  });
});

describe('TLS', () => {
  it('verifies the server certificate against the CA store; a trusted CA makes it work', async () => {
    const certDir = await mkdtemp(join(tmpdir(), 'qdrant-tls-'));
    const defaults = tls.getCACertificates('default');
    let double: QdrantDouble | undefined;
    try {
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=qdrant-double',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
      ]);
      const cert = await readFile(join(certDir, 'cert.pem'), 'utf8');
      double = await QdrantDouble.start({
        validator,
        tls: { key: await readFile(join(certDir, 'key.pem'), 'utf8'), cert },
      });
      expect(double.url).toMatch(/^https:/);
      const engine = createQdrantEngine({ url: double.url, retries: 0 });
      await expect(
        runBackup({ job: 'tls', engine, storage, compression: { algorithm: 'none' } }),
      ).rejects.toSatisfy(
        (e) => isBackupError(e, 'SOURCE_FAILED') && /TLS: .*NODE_EXTRA_CA_CERTS/.test((e as Error).message),
      );
      // What NODE_EXTRA_CA_CERTS does at startup, done in-process for the test.
      tls.setDefaultCACertificates([...defaults, cert]);
      const trusting = createQdrantEngine({ url: double.url, retries: 0 });
      const created = await fetch(`${double.url}/collections/secure`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vectors: { size: 4, distance: 'Dot' } }),
      });
      expect(created.status).toBe(200);
      const manifest = await runBackup({
        job: 'tls',
        engine: trusting,
        storage,
        compression: { algorithm: 'none' },
      });
      expect(manifest.artifacts.map((a) => a.name)).toEqual(['secure.snapshot']);
      await restoreBackup({
        catalog: new Catalog(storage),
        manifest,
        engine: trusting,
        options: { into: 'secure_copy' },
      });
      expect(double.violations).toEqual([]);
    } finally {
      tls.setDefaultCACertificates(defaults);
      await double?.stop();
      await rm(certDir, { recursive: true, force: true });
    }
  });
});
