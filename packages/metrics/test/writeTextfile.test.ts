import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { BackupError, backupChannels, FsStorage, runBackup } from '@backup/core';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupMetrics, createBackupMetrics, writeTextfile } from '../src/index.js';
import { bytesEngine } from './bytesEngine.js';
import { parseExposition } from './parseExposition.js';
import { promtoolCheckMetrics } from './promtool.js';

let dir: string;
let metrics: BackupMetrics;
let now = Date.parse('2026-01-21T02:00:00Z');
const clock = () => new Date(now);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'metrics-textfile-'));
  const storage = new FsStorage({ path: join(dir, 'repo') });
  metrics = createBackupMetrics();
  metrics.start();
  const none = { algorithm: 'none' as const };
  await runBackup({
    job: 'postgresql',
    engine: bytesEngine('postgres', { app: 'abc' }),
    storage,
    compression: none,
    clock,
  });
  now += 60_000;
  await runBackup({
    job: 'redis',
    engine: bytesEngine('redis', { rdb: 'abc' }, { failAfter: 1 }),
    storage,
    compression: none,
    clock,
  }).catch(() => undefined);
  backupChannels.verify.publish({
    job: 'postgresql',
    engine: 'postgres',
    setId: '20260121-020000',
    ok: true,
    time: now,
  });
  backupChannels.prune.publish({ job: 'postgresql', removedSets: 2, keptSets: 7, time: now });
  metrics.stop();
});
afterAll(async () => {
  metrics?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('writeTextfile', () => {
  it('writes every metric in a file promtool check metrics accepts with no lint problems', async () => {
    const path = join(dir, 'backup.prom');
    const result = await writeTextfile({ path, registry: metrics.registry });
    const m = parseExposition(await readFile(path, 'utf8'));
    expect(result).toEqual({ path, samples: m.samples.length });
    const names = new Set(m.samples.map((s) => s.name));
    expect([...names].sort()).toEqual([
      'backup_duration_seconds',
      'backup_last_attempt_timestamp_seconds',
      'backup_last_success_timestamp_seconds',
      'backup_pruned_sets_total',
      'backup_retained_sets',
      'backup_set_size_bytes',
      'backup_size_bytes',
      'backup_status',
      'backup_verify_status',
    ]);
    expect(m.value('backup_status', { job: 'redis', engine: 'redis' })).toBe(0);
    expect(m.value('backup_status', { job: 'postgresql', engine: 'postgres' })).toBe(1);
    expect(m.value('backup_pruned_sets_total', { job: 'postgresql' })).toBe(2);
    expect(m.value('backup_retained_sets', { job: 'postgresql' })).toBe(7);
    expect(promtoolCheckMetrics(path)).toEqual({ status: 0, output: '' });
  });

  it('promtool does flag badly named metrics (so the check above can fail)', async () => {
    const registry = new Registry();
    new Gauge({ name: 'backup_age_milliseconds', help: 'Age.', registers: [registry] }).set(5);
    new Counter({ name: 'backup_failures', help: 'Failures.', registers: [registry] }).inc();
    const path = join(dir, 'bad.prom');
    await writeTextfile({ path, registry });
    const check = promtoolCheckMetrics(path);
    expect(check.status).not.toBe(0);
    expect(check.output).toContain('backup_age_milliseconds use base unit "seconds"');
    expect(check.output).toContain('backup_failures counter metrics should have "_total" suffix');
  });

  it('writes only one job when asked', async () => {
    const path = join(dir, 'backup-redis.prom');
    await writeTextfile({ path, registry: metrics.registry, job: 'redis' });
    const m = parseExposition(await readFile(path, 'utf8'));
    expect(new Set(m.samples.map((s) => s.labels['job']))).toEqual(new Set(['redis']));
    expect(promtoolCheckMetrics(path).status).toBe(0);
  });

  it('replaces the file atomically: rename of a temp file in the same directory, nothing left behind', async () => {
    const sub = await mkdtemp(join(dir, 'atomic-'));
    const path = join(sub, 'backup.prom');
    await writeFile(path, '# old content\nold_metric 1\n');
    const before = await stat(path);
    // A reader that opened the old file keeps reading the complete old content (rename, not rewrite).
    const reader = createReadStream(path);
    await new Promise((resolve) => reader.once('open', resolve));
    await writeTextfile({ path, registry: metrics.registry });
    const after = await stat(path);
    expect(after.ino).not.toBe(before.ino);
    expect(await text(reader)).toBe('# old content\nold_metric 1\n');
    expect(await readFile(path, 'utf8')).toContain('backup_status{job="postgresql",engine="postgres"} 1');
    expect(await readdir(sub)).toEqual(['backup.prom']);
  });

  it('requires a .prom file name and an existing directory (CONFIG_INVALID, no file left)', async () => {
    for (const path of [join(dir, 'backup.txt'), join(dir, 'backup.prom.tmp'), join(dir, '.prom'), '']) {
      const error = await writeTextfile({ path, registry: metrics.registry }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    }
    const missing = join(dir, 'no-such-dir', 'backup.prom');
    const error = (await writeTextfile({ path: missing, registry: metrics.registry }).catch(
      (e: unknown) => e,
    )) as BackupError;
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: { path: missing } });
    expect(error.message).toContain(missing);
    const readonlyFile = join(dir, 'a-file');
    await writeFile(readonlyFile, 'x');
    await expect(
      writeTextfile({ path: join(readonlyFile, 'backup.prom'), registry: metrics.registry }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });
});
