// The restore flow of @backup/restore for Qdrant, against the spec-validated Qdrant HTTP double of
// @backup/qdrant/testing (one per server: source, target, drill node; every request and response is
// checked against the official OpenAPI spec) and sets made by the real engine (snapshot and export
// mode) in a directory repository, the adapter wired as the apps wire it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, parseConfig } from '@backup/config';
import {
  type BackupError,
  Catalog,
  FsStorage,
  isBackupError,
  type Manifest,
  resolveCompression,
  runBackup,
} from '@backup/core';
import type { QdrantRestoreOptions } from '@backup/qdrant';
import { QdrantDouble, SpecValidator } from '@backup/qdrant/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRestoreAdapter,
  type Repository,
  type RestoreFlags,
  type RestoreJob,
  resolveBackupSet,
  runDrill,
  runRestore,
  scratchCollectionName,
} from '../src/index.js';

let validator: SpecValidator;
let source: QdrantDouble;
const doubles: QdrantDouble[] = [];
let dir: string;
let storage: FsStorage;
let repository: Repository;
let snapshotSet: Manifest;
let exportSet: Manifest;
const ctx = {
  signal: new AbortController().signal,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
};

async function node(): Promise<QdrantDouble> {
  const started = await QdrantDouble.start({ validator });
  doubles.push(started);
  return started;
}

async function http(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return (JSON.parse(text) as { result?: unknown }).result;
}

/** Creates `name` (4-dimensional cosine vectors) with `count` points, ids from `first`. */
async function seed(base: string, name: string, count: number, first = 1): Promise<void> {
  const exists = (await http(base, 'GET', `/collections/${name}/exists`)) as { exists: boolean };
  if (!exists.exists) {
    await http(base, 'PUT', `/collections/${name}`, { vectors: { size: 4, distance: 'Cosine' } });
  }
  const points = Array.from({ length: count }, (_, i) => ({
    id: first + i,
    vector: [1, (i % 7) / 7, (i % 3) / 3, 0.5],
    payload: { title: `doc ${first + i}`, lang: i % 2 === 0 ? 'en' : 'fr' },
  }));
  await http(base, 'PUT', `/collections/${name}/points?wait=true`, { points });
}

async function count(base: string, name: string): Promise<number | 'absent'> {
  const { exists } = (await http(base, 'GET', `/collections/${name}/exists`)) as { exists: boolean };
  if (!exists) return 'absent';
  return (
    (await http(base, 'POST', `/collections/${name}/points/count`, { exact: true })) as { count: number }
  ).count;
}

function job(name: string, mode: 'snapshot' | 'export' = 'snapshot'): RestoreJob<QdrantRestoreOptions> {
  const config = parseConfig({
    storage: { type: 'fs', path: dir },
    jobs: [{ name, engine: 'qdrant', url: source.url, mode }],
  });
  const configured = config.jobs[0]!;
  return {
    name,
    engine: createEngine(configured, {}),
    adapter: createRestoreAdapter({ job: configured, env: {}, createEngine: (j) => createEngine(j, {}) }),
  };
}

async function restore(
  manifest: Manifest,
  flags: RestoreFlags,
  options: { dryRun?: boolean; units?: string[]; restoreJob?: RestoreJob<QdrantRestoreOptions> } = {},
) {
  const restoreJob =
    options.restoreJob ?? job(manifest.job, manifest.job === 'qdrant-export' ? 'export' : 'snapshot');
  return runRestore({
    job: restoreJob,
    repository,
    request: { manifest, units: options.units ?? restoreJob.adapter.defaultUnits(manifest, flags), flags },
    dryRun: options.dryRun,
  });
}

async function objects(): Promise<string[]> {
  const out: string[] = [];
  for await (const o of storage.list('')) out.push(`${o.key} ${o.size}`);
  return out.sort();
}

async function expectError(promise: Promise<unknown>, code: string): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBackupError(error), String(error)).toBe(true);
  expect((error as BackupError).code, (error as BackupError).message).toBe(code);
  return error as BackupError;
}

beforeAll(async () => {
  validator = await SpecValidator.load();
  source = await node();
  dir = await mkdtemp(join(tmpdir(), 'restore-qdrant-'));
  storage = new FsStorage({ path: join(dir, 'repo') });
  repository = {
    storage,
    catalog: new Catalog(storage),
    compression: resolveCompression({ algorithm: 'zstd' }),
  };
  await seed(source.url, 'runbooks', 40);
  await seed(source.url, 'entities', 12);
  snapshotSet = await runBackup({
    job: 'qdrant',
    engine: job('qdrant').engine,
    storage,
    compression: repository.compression,
  });
  exportSet = await runBackup({
    job: 'qdrant-export',
    engine: job('qdrant-export', 'export').engine,
    storage,
    compression: repository.compression,
  });
});

afterEach(() => {
  for (const d of doubles) expect(d.violations, d.url).toEqual([]);
});

afterAll(async () => {
  for (const d of doubles) await d.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('restore into a Qdrant node', () => {
  let target: QdrantDouble;

  it('restores the latest set into an empty node; the checks match the exact points counts', async () => {
    target = await node();
    const latest = await resolveBackupSet(repository.catalog, 'qdrant', { ref: 'latest' });
    expect(latest.id).toBe(snapshotSet.id);
    const { plan, report } = await restore(latest, { target: target.url });
    expect(plan.target.units.map((u) => [u.unit, u.target, u.action])).toEqual([
      ['entities', 'entities', 'create'],
      ['runbooks', 'runbooks', 'create'],
    ]);
    expect(report?.ok).toBe(true);
    expect(report?.units.map((u) => [u.unit, u.check.ok, u.check.compared, u.check.summary])).toEqual([
      ['entities', true, true, '12 points: matches the backup'],
      ['runbooks', true, true, '40 points: matches the backup'],
    ]);
    expect(await count(target.url, 'runbooks')).toBe(40);
    expect(await count(target.url, 'entities')).toBe(12);
  });

  it('refuses the collections that now hold points without --force (TARGET_NOT_EMPTY), changing nothing', async () => {
    await seed(target.url, 'runbooks', 5, 1000);
    const before = await objects();
    const error = await expectError(restore(snapshotSet, { target: target.url }), 'TARGET_NOT_EMPTY');
    expect(error.message).toContain('runbooks: 45 points');
    expect(await count(target.url, 'runbooks')).toBe(45);
    expect(await objects()).toEqual(before);
  });

  it('a dry run with --force plans the overwrite and the safety backup, and changes nothing', async () => {
    const before = await objects();
    const uploads = target.served('recover_from_uploaded_snapshot').length;
    const { plan, report } = await restore(
      snapshotSet,
      { target: target.url, force: true },
      { dryRun: true },
    );
    expect(report).toBeUndefined();
    expect(plan.target.units.find((u) => u.unit === 'runbooks')).toMatchObject({
      action: 'overwrite',
      detail: "holds runbooks: 45 points; replaced by the backup's collection",
    });
    expect(plan.safetyBackup).toMatchObject({ action: 'take', job: 'qdrant-pre-restore' });
    expect(await objects()).toEqual(before);
    expect(await count(target.url, 'runbooks')).toBe(45);
    expect(target.served('recover_from_uploaded_snapshot').length).toBe(uploads);
    expect(target.served('create_snapshot')).toEqual([]);
  });

  it('--force backs up the collections it replaces; that safety set restores the state before', async () => {
    const { report } = await restore(snapshotSet, { target: target.url, force: true });
    expect(report?.ok).toBe(true);
    expect(await count(target.url, 'runbooks')).toBe(40);
    expect(report?.safetyBackup?.targets).toEqual(['entities', 'runbooks']);
    const safety = await repository.catalog.readManifest('qdrant-pre-restore', report!.safetyBackup!.setId);
    expect(safety.units.map((u) => [u.name, u.metadata['pointsCount']])).toEqual([
      ['entities', 12],
      ['runbooks', 45],
    ]);
    const undo = await restore(
      safety,
      { target: target.url, into: 'runbooks_before' },
      { units: ['runbooks'], restoreJob: job('qdrant-pre-restore') },
    );
    expect(undo.report?.units[0]?.check).toMatchObject({
      ok: true,
      summary: '45 points: matches the backup',
    });
    expect(await count(target.url, 'runbooks_before')).toBe(45);
  });

  it('checks fail when the restored collection has other points than the backup', async () => {
    const adapter = job('qdrant').adapter;
    const unit = snapshotSet.units.find((u) => u.name === 'entities')!;
    await seed(target.url, 'entities', 3, 500);
    const check = await adapter.check(
      { unit, result: { unit: 'entities', target: 'x', metadata: {} }, options: { targetUrl: target.url } },
      ctx,
    );
    expect(check).toMatchObject({ ok: false, compared: true, summary: '15 points, backup had 12' });
    expect(check.items).toEqual([
      { name: 'entities', kind: 'collection', expected: 12, actual: 15, status: 'mismatch' },
    ]);
  });

  it('restores an export set under another name, compared with the exported points count', async () => {
    const { report } = await restore(
      exportSet,
      { target: target.url, into: 'runbooks_export' },
      { units: ['runbooks'] },
    );
    expect(exportSet.units.find((u) => u.name === 'runbooks')?.metadata['exportedPoints']).toBe(40);
    expect(report?.units[0]).toMatchObject({
      target: `${target.url}/collections/runbooks_export`,
      action: 'create',
    });
    expect(report?.units[0]?.check).toMatchObject({ ok: true, summary: '40 points: matches the backup' });
  });

  it('--into needs exactly one collection; Redis and PostgreSQL flags are refused', async () => {
    const error = await expectError(
      restore(snapshotSet, { target: target.url, into: 'one' }),
      'CONFIG_INVALID',
    );
    expect(error.message).toContain('--into needs exactly one collection');
    await expectError(restore(snapshotSet, { target: target.url, toFile: '/tmp/x' }), 'CONFIG_INVALID');
    await expectError(restore(snapshotSet, { target: target.url, globals: true }), 'CONFIG_INVALID');
  });
});

describe('Qdrant drills', () => {
  it('restores every collection into <prefix><job>_<collection> on the drill node, then deletes them', async () => {
    const drill = await node();
    await seed(drill.url, 'runbooks', 3); // a real collection of the drill node: never touched
    const outcome = await runDrill({ job: job('qdrant'), repository, scratch: { url: drill.url } });
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.units.map((u) => [u.unit, u.target, u.check?.summary])).toEqual([
      ['entities', 'drill_qdrant_entities', '12 points: matches the backup'],
      ['runbooks', 'drill_qdrant_runbooks', '40 points: matches the backup'],
    ]);
    expect(outcome.report.scratch.removed).toBe(true);
    expect(await count(drill.url, scratchCollectionName('drill_', 'qdrant', 'runbooks'))).toBe('absent');
    expect(await count(drill.url, 'drill_qdrant_entities')).toBe('absent');
    expect(await count(drill.url, 'runbooks')).toBe(3);
    expect(drill.served('delete_collection').map((r) => r.path)).toEqual([
      '/collections/drill_qdrant_entities',
      '/collections/drill_qdrant_runbooks',
    ]);
  });

  it('removes the leftovers of an interrupted drill before restoring', async () => {
    const drill = await node();
    await seed(drill.url, 'drill_qdrant_runbooks', 7);
    const outcome = await runDrill({ job: job('qdrant'), repository, scratch: { url: drill.url } });
    expect(outcome.report.ok).toBe(true);
    expect(await count(drill.url, 'drill_qdrant_runbooks')).toBe('absent');
  });
});
