import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackupError,
  backupChannels,
  Catalog,
  FsStorage,
  type Logger,
  runBackup,
  verifyBackup,
} from '@backup/core';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackupMetrics, createBackupMetrics, renderMetrics } from '../src/index.js';
import { bytesEngine } from './bytesEngine.js';
import { parseExposition } from './parseExposition.js';

let dir: string;
let storage: FsStorage;
let now = Date.parse('2026-01-21T02:00:00Z');
const clock = () => new Date(now);
const none = { algorithm: 'none' as const };
const running: BackupMetrics[] = [];

function started(options: Parameters<typeof createBackupMetrics>[0] = {}): BackupMetrics {
  const metrics = createBackupMetrics(options);
  metrics.start();
  running.push(metrics);
  return metrics;
}

async function scrape(metrics: BackupMetrics) {
  return parseExposition((await renderMetrics({ registry: metrics.registry })).text);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metrics-test-'));
  storage = new FsStorage({ path: dir });
});
afterEach(() => {
  for (const m of running.splice(0)) m.stop();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createBackupMetrics fed by real runBackup / verifyBackup events', () => {
  it('records a successful run: timestamps, duration, status, per-unit and set sizes, verify status', async () => {
    const metrics = started();
    now = Date.parse('2026-01-21T02:00:05Z');
    const manifest = await runBackup({
      job: 'postgresql',
      engine: bytesEngine('postgres', { app: 'a'.repeat(1000), auth: 'xyz' }),
      storage,
      compression: none,
      clock,
    });
    const m = await scrape(metrics);
    const labels = { job: 'postgresql', engine: 'postgres' };
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_last_attempt_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_status', labels)).toBe(1);
    const duration = m.value('backup_duration_seconds', labels)!;
    expect(duration).toBeGreaterThanOrEqual(0);
    expect(duration).toBeLessThan(30);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'app' })).toBe(1000);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'auth' })).toBe(3);
    expect(m.value('backup_set_size_bytes', labels)).toBe(1003);
    expect(m.find('backup_verify_status')).toEqual([]);

    const catalog = new Catalog(storage);
    const engine = bytesEngine('postgres', { app: 'a'.repeat(1000), auth: 'xyz' });
    await verifyBackup({ catalog, manifest, engine });
    expect((await scrape(metrics)).value('backup_verify_status', labels)).toBe(1);
    const broken = bytesEngine('postgres', { app: 'b'.repeat(1000), auth: 'xyz' });
    await verifyBackup({ catalog, manifest, engine: broken }).catch(() => undefined);
    expect((await scrape(metrics)).value('backup_verify_status', labels)).toBe(0);
  });

  it('a failed run sets status 0 and the attempt time, keeping last success and sizes', async () => {
    const metrics = started();
    const labels = { job: 'redis', engine: 'redis' };
    now = Date.parse('2026-01-21T02:30:00Z');
    await runBackup({
      job: 'redis',
      engine: bytesEngine('redis', { rdb: 'x'.repeat(64) }),
      storage,
      compression: none,
      clock,
    });
    const success = now / 1000;
    now = Date.parse('2026-01-22T02:30:00Z');
    const failing = bytesEngine('redis', { rdb: 'x'.repeat(64) }, { failAfter: 10 });
    const error = await runBackup({ job: 'redis', engine: failing, storage, compression: none, clock }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackupError);
    expect((error as BackupError).code).toBe('SOURCE_FAILED');
    const m = await scrape(metrics);
    expect(m.value('backup_status', labels)).toBe(0);
    expect(m.value('backup_last_attempt_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(success);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'rdb' })).toBe(64);
    expect(m.value('backup_set_size_bytes', labels)).toBe(64);
    expect(m.value('backup_duration_seconds', labels)).toBeGreaterThanOrEqual(0);
  });

  it('drops the size series of units that are gone from the newest set', async () => {
    const metrics = started();
    now = Date.parse('2026-01-21T03:00:00Z');
    await runBackup({
      job: 'qdrant',
      engine: bytesEngine('qdrant', { docs: 'aaaa', old: 'bb' }),
      storage,
      compression: none,
      clock,
    });
    now = Date.parse('2026-01-22T03:00:00Z');
    await runBackup({
      job: 'qdrant',
      engine: bytesEngine('qdrant', { docs: 'aaaaaa' }),
      storage,
      compression: none,
      clock,
    });
    const m = await scrape(metrics);
    expect(m.find('backup_size_bytes', { job: 'qdrant' }).map((s) => [s.labels['unit'], s.value])).toEqual([
      ['docs', 6],
    ]);
    expect(m.value('backup_set_size_bytes', { job: 'qdrant', engine: 'qdrant' })).toBe(6);
  });

  it('records prune events: retained sets gauge, pruned sets counter; a dry run changes nothing', async () => {
    const metrics = started();
    backupChannels.prune.publish({
      job: 'postgresql',
      removedSets: ['20260101-020000', '20260102-020000'],
      keptSets: ['20260120-020000', '20260121-020000', '20260122-020000'],
      time: now,
    });
    backupChannels.prune.publish({ job: 'postgresql', removedSets: 1, keptSets: 3, time: now });
    backupChannels.prune.publish({ job: 'postgresql', removedSets: 5, keptSets: 1, time: now, dryRun: true });
    const m = await scrape(metrics);
    expect(m.value('backup_retained_sets', { job: 'postgresql' })).toBe(3);
    expect(m.value('backup_pruned_sets_total', { job: 'postgresql' })).toBe(3);
    expect(m.types.get('backup_pruned_sets_total')).toBe('counter');
  });

  it('stop() unsubscribes; malformed channel messages are logged, not thrown', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (obj) => void warnings.push(obj), error() {} };
    const metrics = started({ logger });
    backupChannels.job.publish({ phase: 'success', engine: 'postgres', time: now });
    backupChannels.verify.publish({ job: 'x', engine: 'postgres', setId: 'y', ok: 'yes', time: now });
    expect(warnings).toHaveLength(2);
    expect(await renderMetrics({ registry: metrics.registry })).toEqual({ text: '', samples: 0 });
    expect(() =>
      metrics.recordJob({ phase: 'done' as 'success', job: 'a', engine: 'b', time: now }),
    ).toThrowError(expect.objectContaining({ code: 'INTERNAL' }));

    metrics.stop();
    backupChannels.job.publish({
      phase: 'success',
      job: 'late',
      engine: 'postgres',
      time: now,
      durationMs: 1,
    });
    expect((await scrape(metrics)).find('backup_status')).toEqual([]);
    metrics.start();
    backupChannels.job.publish({
      phase: 'failure',
      job: 'late',
      engine: 'postgres',
      time: now,
      durationMs: 1500,
    });
    const m = await scrape(metrics);
    expect(m.value('backup_status', { job: 'late' })).toBe(0);
    expect(m.value('backup_duration_seconds', { job: 'late' })).toBe(1.5);
  });

  it('seedLastSuccess publishes the catalog newest success (and sizes) and never moves backwards', async () => {
    now = Date.parse('2026-01-23T02:00:00Z');
    await runBackup({
      job: 'neo4j',
      engine: bytesEngine('neo4j', { graph: 'g'.repeat(100) }),
      storage,
      compression: none,
      clock,
    });
    // A fresh process (cronjob pod): nothing recorded yet; read the newest success from storage.
    const metrics = started({ clock });
    const latest = await new Catalog(storage).resolve('neo4j', 'latest');
    const units = latest.artifacts.map((a) => ({ name: a.unit, storedBytes: a.storedBytes }));
    metrics.seedLastSuccess('neo4j', latest.engine.name, new Date(latest.finishedAt), units);
    const labels = { job: 'neo4j', engine: 'neo4j' };
    let m = await scrape(metrics);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'graph' })).toBe(100);
    expect(m.value('backup_set_size_bytes', labels)).toBe(100);
    expect(m.find('backup_status')).toEqual([]);

    metrics.seedLastSuccess('neo4j', 'neo4j', new Date('2025-01-01T00:00:00Z'), [
      { name: 'graph', storedBytes: 1 },
    ]);
    m = await scrape(metrics);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'graph' })).toBe(100);
    expect(() => metrics.seedLastSuccess('neo4j', 'neo4j', new Date('nope'))).toThrowError(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
  });

  it('stamps events without a finite time with the clock option', async () => {
    const metrics = createBackupMetrics({ clock: () => new Date('2026-02-01T00:00:00Z') });
    metrics.recordJob({ phase: 'failure', job: 'manual', engine: 'postgres', time: Number.NaN });
    const m = parseExposition((await renderMetrics({ registry: metrics.registry })).text);
    expect(m.value('backup_last_attempt_timestamp_seconds', { job: 'manual' })).toBe(
      Date.parse('2026-02-01T00:00:00Z') / 1000,
    );
    expect(m.find('backup_duration_seconds', { job: 'manual' })).toEqual([]);
  });

  it('uses the given registry, once', () => {
    const registry = new Registry();
    const metrics = createBackupMetrics({ registry });
    expect(metrics.registry).toBe(registry);
    expect(registry.getSingleMetric('backup_status')).toBeDefined();
    expect(() => createBackupMetrics({ registry })).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
