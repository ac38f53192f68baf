// Restore-drill metrics: the gauges, promtool's lint of their exposition, and the push into a
// Pushgateway group of their own (real Pushgateway, with and without basic auth).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBackupError } from '@backup/core';
import { freePort, type PushgatewayServer, startPushgateway } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBackupMetrics,
  createDrillMetrics,
  DRILL_METRIC_NAMES,
  pushDrillMetrics,
  pushMetrics,
  renderMetrics,
} from '../src/index.js';
import { parseExposition } from './parseExposition.js';
import { promtoolCheckMetrics } from './promtool.js';

let gateway: PushgatewayServer;
let secured: PushgatewayServer;
let dir: string;

async function scrape(server: PushgatewayServer) {
  const headers: Record<string, string> = server.auth
    ? {
        authorization: `Basic ${Buffer.from(`${server.auth.username}:${server.auth.password}`).toString('base64')}`,
      }
    : {};
  return parseExposition(await (await fetch(`${server.url}/metrics`, { headers })).text());
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isBackupError(error) ? error.code : String(error);
}

beforeAll(async () => {
  [gateway, secured] = await Promise.all([startPushgateway(), startPushgateway({ basicAuth: true })]);
  dir = await mkdtemp(join(tmpdir(), 'drill-metrics-'));
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), secured?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('drill gauges', () => {
  it('record status, RTO and time of the last drill; a drill that restored nothing keeps no duration', async () => {
    const metrics = createDrillMetrics();
    metrics.recordDrill({
      job: 'pg',
      engine: 'postgres',
      ok: true,
      restoreSeconds: 12.5,
      time: 1_769_313_600_000,
    });
    let text = (await renderMetrics({ registry: metrics.registry })).text;
    let exposition = parseExposition(text);
    expect(exposition.value(DRILL_METRIC_NAMES.status, { job: 'pg' })).toBe(1);
    expect(exposition.value(DRILL_METRIC_NAMES.duration, { job: 'pg' })).toBe(12.5);
    expect(exposition.value(DRILL_METRIC_NAMES.lastRun, { job: 'pg' })).toBe(1_769_313_600);
    expect(exposition.types.get(DRILL_METRIC_NAMES.status)).toBe('gauge');
    await writeFile(join(dir, 'drill.prom'), text);
    const lint = promtoolCheckMetrics(join(dir, 'drill.prom'));
    expect(lint.status, lint.output).toBe(0);

    metrics.recordDrill({ job: 'pg', engine: 'postgres', ok: false, time: 1_769_400_000_000 });
    text = (await renderMetrics({ registry: metrics.registry })).text;
    exposition = parseExposition(text);
    expect(exposition.value(DRILL_METRIC_NAMES.status, { job: 'pg' })).toBe(0);
    expect(exposition.value(DRILL_METRIC_NAMES.duration, { job: 'pg' })).toBeUndefined();
    expect(() => metrics.recordDrill({ job: '', engine: 'postgres', ok: true, time: 1 })).toThrow(
      /Malformed/,
    );
    expect(() => createDrillMetrics({ registry: metrics.registry })).toThrow(/one DrillMetrics per registry/);
  });
});

describe('pushDrillMetrics', () => {
  it("pushes into /metrics/job/<job>/drill/restore, untouched by a PUT of the job's backup group", async () => {
    const drill = createDrillMetrics();
    drill.recordDrill({ job: 'pg', engine: 'postgres', ok: true, restoreSeconds: 3, time: Date.now() });
    const result = await pushDrillMetrics({ url: `${gateway.url}/`, job: 'pg', registry: drill.registry });
    expect(result).toEqual({ url: `${gateway.url}/metrics/job/pg/drill/restore`, samples: 3 });
    const backup = createBackupMetrics();
    backup.recordJob({ phase: 'failure', job: 'pg', engine: 'postgres', time: Date.now(), durationMs: 5 });
    await pushMetrics({ url: gateway.url, job: 'pg', registry: backup.registry });
    const scraped = await scrape(gateway);
    expect(
      scraped.value(DRILL_METRIC_NAMES.status, { job: 'pg', drill: 'restore', engine: 'postgres' }),
    ).toBe(1);
    expect(scraped.value('backup_status', { job: 'pg', engine: 'postgres' })).toBe(0);
    // and a drill push leaves the backup group alone
    drill.recordDrill({ job: 'pg', engine: 'postgres', ok: false, time: Date.now() });
    await pushDrillMetrics({ url: gateway.url, job: 'pg', registry: drill.registry });
    const after = await scrape(gateway);
    expect(after.value(DRILL_METRIC_NAMES.status, { job: 'pg', drill: 'restore' })).toBe(0);
    expect(after.value('backup_status', { job: 'pg', engine: 'postgres' })).toBe(0);
  });

  it('authenticates with URL credentials and maps failures to CONFIG_INVALID / SOURCE_FAILED without leaking them', async () => {
    const drill = createDrillMetrics();
    drill.recordDrill({ job: 'pg', engine: 'postgres', ok: true, restoreSeconds: 1, time: Date.now() });
    const { username, password } = secured.auth!;
    const authed = secured.url.replace('http://', `http://${username}:${password}@`);
    await pushDrillMetrics({ url: authed, job: 'pg', registry: drill.registry });
    expect((await scrape(secured)).value(DRILL_METRIC_NAMES.status, { job: 'pg' })).toBe(1);
    expect(await codeOf(pushDrillMetrics({ url: secured.url, job: 'pg', registry: drill.registry }))).toBe(
      'CONFIG_INVALID',
    );
    const down = `http://user:${password}@127.0.0.1:${await freePort()}`;
    const error = await pushDrillMetrics({
      url: down,
      job: 'pg',
      registry: drill.registry,
      timeoutMs: 2000,
    }).catch((e: unknown) => e as Error);
    expect(isBackupError(error, 'SOURCE_FAILED')).toBe(true);
    expect((error as Error).message).not.toContain(password);
    expect(await codeOf(pushDrillMetrics({ url: 'ftp://x', job: 'pg', registry: drill.registry }))).toBe(
      'CONFIG_INVALID',
    );
    expect(await codeOf(pushDrillMetrics({ url: gateway.url, job: 'other', registry: drill.registry }))).toBe(
      'CONFIG_INVALID',
    );
  });
});
