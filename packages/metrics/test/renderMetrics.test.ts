import { Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createBackupMetrics, renderMetrics } from '../src/index.js';
import { parseExposition } from './parseExposition.js';

describe('renderMetrics', () => {
  it('renders text format 0.0.4, filters by job, and omits families without samples', async () => {
    const metrics = createBackupMetrics();
    metrics.recordJob({ phase: 'failure', job: 'a', engine: 'postgres', time: 1_000_000, durationMs: 250 });
    metrics.recordJob({
      phase: 'success',
      job: 'b',
      engine: 'redis',
      time: 2_000_000,
      durationMs: 10,
      storedBytes: 5,
      units: [{ name: 'db0', storedBytes: 5, plaintextBytes: 9 }],
    });
    const all = await renderMetrics({ registry: metrics.registry });
    const onlyA = await renderMetrics({ registry: metrics.registry, job: 'a' });
    expect(onlyA.text).toBe(
      [
        '# HELP backup_last_attempt_timestamp_seconds Unix time in seconds when the last backup run of the job (success or failure) finished.',
        '# TYPE backup_last_attempt_timestamp_seconds gauge',
        'backup_last_attempt_timestamp_seconds{job="a",engine="postgres"} 1000',
        '# HELP backup_duration_seconds Duration in seconds of the last backup run of the job (success or failure).',
        '# TYPE backup_duration_seconds gauge',
        'backup_duration_seconds{job="a",engine="postgres"} 0.25',
        '# HELP backup_status 1 when the last backup run of the job succeeded, 0 when it failed.',
        '# TYPE backup_status gauge',
        'backup_status{job="a",engine="postgres"} 0',
        '',
      ].join('\n'),
    );
    expect(onlyA.samples).toBe(3);
    const m = parseExposition(all.text);
    expect(all.samples).toBe(m.samples.length);
    expect(m.value('backup_size_bytes', { job: 'b', engine: 'redis', unit: 'db0' })).toBe(5);
    expect(m.value('backup_last_success_timestamp_seconds', { job: 'b' })).toBe(2000);
    expect(m.find('backup_last_success_timestamp_seconds', { job: 'a' })).toEqual([]);
    expect(await renderMetrics({ registry: metrics.registry, job: 'c' })).toEqual({ text: '', samples: 0 });
  });

  it('escapes label values and help, and renders histograms and special values', async () => {
    const registry = new Registry();
    const gauge = new Gauge({
      name: 'odd',
      help: 'back\\slash\nnewline',
      labelNames: ['job', 'unit'],
      registers: [registry],
    });
    const weird = 'we"ird\\unit\nname';
    gauge.set({ job: 'x', unit: weird }, Number.POSITIVE_INFINITY);
    gauge.set({ job: 'x', unit: 'nan' }, Number.NaN);
    new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['job'],
      buckets: [1],
      registers: [registry],
    }).observe({ job: 'x' }, 0.5);
    const { text } = await renderMetrics({ registry, job: 'x' });
    expect(text).toContain('# HELP odd back\\\\slash\\nnewline\n');
    expect(text).toContain('odd{job="x",unit="we\\"ird\\\\unit\\nname"} +Inf\n');
    expect(text).toContain('odd{job="x",unit="nan"} NaN\n');
    const m = parseExposition(text);
    expect(m.value('odd', { unit: weird })).toBe(Number.POSITIVE_INFINITY);
    expect(m.value('h_seconds_bucket', { job: 'x', le: '+Inf' })).toBe(1);
    expect(m.value('h_seconds_count', { job: 'x' })).toBe(1);
    expect(m.value('h_seconds_sum', { job: 'x' })).toBe(0.5);
  });
});
