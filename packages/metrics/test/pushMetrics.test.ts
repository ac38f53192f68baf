import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupError, Catalog, FsStorage, runBackup } from '@backup/core';
import { freePort, type PushgatewayServer, startPushgateway } from '@backup/test-services';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackupMetrics, createBackupMetrics, pushMetrics } from '../src/index.js';
import { bytesEngine } from './bytesEngine.js';
import { parseExposition } from './parseExposition.js';

let gateway: PushgatewayServer;
let dir: string;
let storage: FsStorage;
let now = Date.parse('2026-01-21T02:00:00Z');
const clock = () => new Date(now);
const none = { algorithm: 'none' as const };
const running: BackupMetrics[] = [];

function started(): BackupMetrics {
  const metrics = createBackupMetrics();
  metrics.start();
  running.push(metrics);
  return metrics;
}

async function scrapeGateway(url = gateway.url, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/metrics`, { headers });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

async function backup(
  job: string,
  engine: string,
  units: Record<string, string>,
  at: string,
  failAfter?: number,
) {
  now = Date.parse(at);
  const options = failAfter === undefined ? {} : { failAfter };
  return runBackup({ job, engine: bytesEngine(engine, units, options), storage, compression: none, clock });
}

beforeAll(async () => {
  gateway = await startPushgateway();
  dir = await mkdtemp(join(tmpdir(), 'metrics-push-'));
  storage = new FsStorage({ path: dir });
});
afterEach(async () => {
  for (const m of running.splice(0)) m.stop();
  const groups = ['postgresql', 'qdrant', 'redis', 'neo4j', 'nats', 'other'];
  for (const job of groups) await fetch(`${gateway.url}/metrics/job/${job}`, { method: 'DELETE' });
});
afterAll(async () => {
  await gateway?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pushMetrics to a real Pushgateway', () => {
  it('pushes each job to its own group; a scrape shows both with their labels and values', async () => {
    const metrics = started();
    await backup('postgresql', 'postgres', { app: 'p'.repeat(300) }, '2026-01-21T02:00:00Z');
    const pgTime = now / 1000;
    await backup('qdrant', 'qdrant', { docs: 'q'.repeat(70), code: 'c'.repeat(30) }, '2026-01-21T02:30:00Z');
    const qdTime = now / 1000;

    const first = await pushMetrics({ url: gateway.url, job: 'postgresql', registry: metrics.registry });
    expect(first).toEqual({ url: `${gateway.url}/metrics/job/postgresql`, method: 'PUT', samples: 6 });
    let m = await scrapeGateway();
    // Only this job's series travelled in the push.
    expect(m.find('backup_status', { job: 'qdrant' })).toEqual([]);
    expect(m.value('backup_status', { job: 'postgresql', engine: 'postgres', instance: '' })).toBe(1);

    await pushMetrics({ url: `${gateway.url}/`, job: 'qdrant', registry: metrics.registry });
    m = await scrapeGateway();
    const pg = { job: 'postgresql', engine: 'postgres' };
    const qd = { job: 'qdrant', engine: 'qdrant' };
    expect(m.value('backup_last_success_timestamp_seconds', pg)).toBe(pgTime);
    expect(m.value('backup_last_success_timestamp_seconds', qd)).toBe(qdTime);
    expect(m.value('backup_last_attempt_timestamp_seconds', qd)).toBe(qdTime);
    expect(m.value('backup_status', pg)).toBe(1);
    expect(m.value('backup_status', qd)).toBe(1);
    expect(m.value('backup_size_bytes', { ...pg, unit: 'app' })).toBe(300);
    expect(m.value('backup_size_bytes', { ...qd, unit: 'docs' })).toBe(70);
    expect(m.value('backup_size_bytes', { ...qd, unit: 'code' })).toBe(30);
    expect(m.value('backup_set_size_bytes', qd)).toBe(100);
    expect(m.value('backup_duration_seconds', qd)).toBeGreaterThanOrEqual(0);
    expect(m.types.get('backup_status')).toBe('gauge');
    // One group per job, nothing else in the grouping key.
    const groups = m.find('push_time_seconds').map((s) => s.labels);
    expect(groups).toEqual(
      expect.arrayContaining([
        { instance: '', job: 'postgresql' },
        { instance: '', job: 'qdrant' },
      ]),
    );
    expect(groups).toHaveLength(2);
    for (const s of m.find('push_time_seconds')) expect(s.value).toBeGreaterThan(0);
  });

  it('a failure run after a success (same process, PUT) keeps last_success and sets status 0', async () => {
    const metrics = started();
    await backup('redis', 'redis', { rdb: 'r'.repeat(50) }, '2026-01-21T02:30:00Z');
    const success = now / 1000;
    await pushMetrics({ url: gateway.url, job: 'redis', registry: metrics.registry });
    await expect(
      backup('redis', 'redis', { rdb: 'r'.repeat(50) }, '2026-01-22T02:30:00Z', 5),
    ).rejects.toThrow(BackupError);
    await pushMetrics({ url: gateway.url, job: 'redis', registry: metrics.registry });
    const m = await scrapeGateway();
    const labels = { job: 'redis', engine: 'redis' };
    expect(m.value('backup_status', labels)).toBe(0);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(success);
    expect(m.value('backup_last_attempt_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'rdb' })).toBe(50);
  });

  it('a fresh process seeded from the catalog keeps last_success when its run fails (PUT)', async () => {
    const first = started();
    await backup('neo4j', 'neo4j', { graph: 'g'.repeat(40) }, '2026-01-21T03:30:00Z');
    const success = now / 1000;
    await pushMetrics({ url: gateway.url, job: 'neo4j', registry: first.registry });
    first.stop();

    // Next night's pod: new registry, seeded from storage, then the run fails.
    const pod = started();
    const latest = await new Catalog(storage).resolve('neo4j', 'latest');
    pod.seedLastSuccess(
      'neo4j',
      latest.engine.name,
      new Date(latest.finishedAt),
      latest.artifacts.map((a) => ({ name: a.unit, storedBytes: a.storedBytes })),
    );
    await expect(
      backup('neo4j', 'neo4j', { graph: 'g'.repeat(40) }, '2026-01-22T03:30:00Z', 3),
    ).rejects.toThrow();
    await pushMetrics({ url: gateway.url, job: 'neo4j', registry: pod.registry });
    const m = await scrapeGateway();
    const labels = { job: 'neo4j', engine: 'neo4j' };
    expect(m.value('backup_status', labels)).toBe(0);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(success);
    expect(m.value('backup_last_attempt_timestamp_seconds', labels)).toBe(now / 1000);
    expect(m.value('backup_size_bytes', { ...labels, unit: 'graph' })).toBe(40);
  });

  it('without a seed, a failure PUT drops last_success while a POST keeps the previous one', async () => {
    const first = started();
    await backup('nats', 'nats', { stream: 's'.repeat(10) }, '2026-01-21T04:00:00Z');
    const success = now / 1000;
    await pushMetrics({ url: gateway.url, job: 'nats', registry: first.registry });
    first.stop();

    const pod = started();
    await expect(
      backup('nats', 'nats', { stream: 's'.repeat(10) }, '2026-01-22T04:00:00Z', 2),
    ).rejects.toThrow();
    const labels = { job: 'nats', engine: 'nats' };
    await pushMetrics({ url: gateway.url, job: 'nats', registry: pod.registry, method: 'POST' });
    let m = await scrapeGateway();
    expect(m.value('backup_status', labels)).toBe(0);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBe(success);

    await pushMetrics({ url: gateway.url, job: 'nats', registry: pod.registry, method: 'PUT' });
    m = await scrapeGateway();
    expect(m.value('backup_status', labels)).toBe(0);
    expect(m.value('backup_last_success_timestamp_seconds', labels)).toBeUndefined();
  });

  it('refuses a PUT with nothing to push (it would delete the group)', async () => {
    const metrics = started();
    await backup('postgresql', 'postgres', { app: 'x' }, '2026-01-21T05:00:00Z');
    await pushMetrics({ url: gateway.url, job: 'postgresql', registry: metrics.registry });
    const empty = createBackupMetrics();
    const error = await pushMetrics({ url: gateway.url, job: 'postgresql', registry: empty.registry }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toContain('job="postgresql"');
    expect((await scrapeGateway()).value('backup_status', { job: 'postgresql' })).toBe(1);
    // POST of nothing only touches push_time_seconds.
    await pushMetrics({ url: gateway.url, job: 'postgresql', registry: empty.registry, method: 'POST' });
    expect((await scrapeGateway()).value('backup_status', { job: 'postgresql' })).toBe(1);
  });

  it('a push the Pushgateway rejects (inconsistent metric type) is CONFIG_INVALID with its explanation', async () => {
    const other = await fetch(`${gateway.url}/metrics/job/other`, {
      method: 'PUT',
      body: '# TYPE backup_status counter\nbackup_status 1\n',
    });
    expect(other.status).toBe(200);
    const metrics = started();
    await backup('postgresql', 'postgres', { app: 'x' }, '2026-01-21T06:00:00Z');
    const error = await pushMetrics({
      url: gateway.url,
      job: 'postgresql',
      registry: metrics.registry,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: { status: 400, job: 'postgresql' } });
    expect((error as Error).message).toContain(`PUT ${gateway.url}/metrics/job/postgresql answered 400`);
    expect((error as Error).message).toContain('backup_status');
  });

  it('an unreachable Pushgateway is SOURCE_FAILED naming the URL without credentials', async () => {
    const port = await freePort();
    const metrics = started();
    await backup('postgresql', 'postgres', { app: 'x' }, '2026-01-21T07:00:00Z');
    const error = await pushMetrics({
      url: `http://ops:s3cret-pw@127.0.0.1:${port}`,
      job: 'postgresql',
      registry: metrics.registry,
      timeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupError);
    const e = error as BackupError;
    expect(e.code).toBe('SOURCE_FAILED');
    expect(e.message).toContain(`http://127.0.0.1:${port}/metrics/job/postgresql`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(`${e.message} ${JSON.stringify(e.details)}`).not.toContain('s3cret');
    expect(e.cause).toBeDefined();
  });

  it('rejects URLs that are not http(s)', async () => {
    const metrics = createBackupMetrics();
    for (const url of ['pushgateway:9091', 'ftp://127.0.0.1:9091', '']) {
      await expect(pushMetrics({ url, job: 'x', registry: metrics.registry })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
    }
    await expect(
      pushMetrics({ url: gateway.url, job: '', registry: metrics.registry }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('pushMetrics with basic auth', () => {
  let secured: PushgatewayServer;
  beforeAll(async () => {
    secured = await startPushgateway({ basicAuth: true });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('sends URL userinfo as basic auth; wrong credentials are CONFIG_INVALID without the password', async () => {
    const { username, password } = secured.auth!;
    const metrics = started();
    await backup('postgresql', 'postgres', { app: 'y'.repeat(9) }, '2026-01-21T08:00:00Z');
    const base = new URL(secured.url);
    base.username = username;
    base.password = password;
    const result = await pushMetrics({ url: base.href, job: 'postgresql', registry: metrics.registry });
    expect(result.url).toBe(`${secured.url}/metrics/job/postgresql`);
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const m = await scrapeGateway(secured.url, { authorization });
    expect(m.value('backup_size_bytes', { job: 'postgresql', unit: 'app' })).toBe(9);

    base.password = 'wrong-pw';
    const error = (await pushMetrics({ url: base.href, job: 'postgresql', registry: metrics.registry }).catch(
      (e: unknown) => e,
    )) as BackupError;
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: { status: 401 } });
    expect(error.message).toContain(`${secured.url}/metrics/job/postgresql answered 401`);
    expect(error.message).not.toContain('wrong-pw');
  });
});
