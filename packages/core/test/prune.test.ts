import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { cp, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/Catalog.js';
import { isBackupError } from '../src/errors.js';
import type { PruneEvent } from '../src/events.js';
import { applyRetentionPolicy } from '../src/retention/applyRetentionPolicy.js';
import { executePrune } from '../src/retention/executePrune.js';
import { NEWEST_PAST_SET_REASON, planPrune } from '../src/retention/planPrune.js';
import { DEFAULT_RETENTION_POLICY } from '../src/retention/RetentionPolicy.js';
import { BackupSetWriter } from '../src/set/BackupSetWriter.js';
import { manifestKey, setPrefix } from '../src/set/layout.js';
import { formatSetId } from '../src/set/setId.js';
import { FsStorage } from '../src/storage/FsStorage.js';
import type { ObjectInfo, StorageBackend } from '../src/storage/StorageBackend.js';

const JOB = 'pg';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** 60 simulated days of backups at 02:00 UTC: 2026-01-01 (a Thursday) to 2026-03-01 (a Sunday). */
const FIRST_DAY = Date.parse('2026-01-01T02:00:00Z');
const DAYS = 60;
const ALL_IDS = Array.from({ length: DAYS }, (_, i) =>
  formatSetId(new Date(FIRST_DAY + i * DAY_MS)),
).reverse();
/** The prune runs at noon of the last simulated day. */
const NOW = new Date('2026-03-01T12:00:00Z');

/**
 * 7 daily / 4 weekly / 12 monthly on those 60 sets, derived by hand from retention.md 1.2/1.3:
 * daily = the 7 newest days (03-01, 02-28 ... 02-23); weekly = newest set of the ISO weeks ending
 * Sun 03-01, 02-22, 02-15, 02-08; monthly = newest of March (03-01), February (02-28), January
 * (01-31); only 3 months exist, so the monthly count is not used up and the oldest set (01-01) is
 * kept as "oldest monthly snapshot".
 */
const EXPECTED_KEEP: Array<[string, string[]]> = [
  ['20260301-020000', ['daily snapshot', 'weekly snapshot', 'monthly snapshot']],
  ['20260228-020000', ['daily snapshot', 'monthly snapshot']],
  ['20260227-020000', ['daily snapshot']],
  ['20260226-020000', ['daily snapshot']],
  ['20260225-020000', ['daily snapshot']],
  ['20260224-020000', ['daily snapshot']],
  ['20260223-020000', ['daily snapshot']],
  ['20260222-020000', ['weekly snapshot']],
  ['20260215-020000', ['weekly snapshot']],
  ['20260208-020000', ['weekly snapshot']],
  ['20260131-020000', ['monthly snapshot']],
  ['20260101-020000', ['oldest monthly snapshot']],
];
const EXPECTED_KEEP_IDS = EXPECTED_KEEP.map(([id]) => id);
const EXPECTED_REMOVE_IDS = ALL_IDS.filter((id) => !EXPECTED_KEEP_IDS.includes(id));
const OBJECTS_PER_SET = 3; // two artifacts + manifest.json

async function writeSet(storage: StorageBackend, job: string, at: Date, commit = true): Promise<string> {
  const writer = await BackupSetWriter.create({
    storage,
    job,
    compression: { algorithm: 'none' },
    clock: () => at,
  });
  for (const name of ['app.dump', 'globals.sql']) {
    await writer.write({
      name,
      unit: name,
      mediaType: 'application/octet-stream',
      source: Readable.from([
        Buffer.from(`${name} of ${at.toISOString()}\n`.repeat(1 + (at.getUTCDate() % 5))),
      ]),
    });
  }
  if (commit) {
    await writer.commit({
      engine: { name: 'test' },
      units: [
        { name: 'app.dump', kind: 'database', metadata: {} },
        { name: 'globals.sql', kind: 'globals', metadata: {} },
      ],
    });
  }
  return writer.id;
}

/** Sets every object's mtime under a set (an fs stand-in for S3 LastModified). */
async function setModified(root: string, job: string, id: string, time: Date): Promise<void> {
  const dir = join(root, job, id);
  for (const name of await readdir(dir)) await utimes(join(dir, name), time, time);
}

async function listAll(storage: StorageBackend): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const object of storage.list('')) objects.push(object);
  return objects.sort((a, b) => a.key.localeCompare(b.key));
}

/** Delegates to a backend and records every `delete` call; optionally fails the Nth one. */
class RecordingStorage implements StorageBackend {
  readonly deletes: string[][] = [];
  constructor(
    private readonly inner: StorageBackend,
    private readonly failOnDeleteCall?: number,
  ) {}
  get description() {
    return `recording:${this.inner.description}`;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  put(...args: Parameters<StorageBackend['put']>) {
    return this.inner.put(...args);
  }
  get(...args: Parameters<StorageBackend['get']>) {
    return this.inner.get(...args);
  }
  head(key: string) {
    return this.inner.head(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  createExclusive(key: string, body: Uint8Array | string) {
    return this.inner.createExclusive(key, body);
  }
  async delete(keys: readonly string[]) {
    this.deletes.push([...keys]);
    if (this.deletes.length === this.failOnDeleteCall) throw new Error('simulated crash during delete');
    return this.inner.delete(keys);
  }
}

let template = '';
let root = '';
let storage: FsStorage;
let catalog: Catalog;

beforeAll(async () => {
  // Built once, copied for every test: 60 complete sets of job "pg", 2 of job "redis", a WAL object.
  template = await mkdtemp(join(tmpdir(), 'prune-template-'));
  const fs = new FsStorage({ path: template });
  for (let i = 0; i < DAYS; i++) await writeSet(fs, JOB, new Date(FIRST_DAY + i * DAY_MS));
  await writeSet(fs, 'redis', new Date('2026-01-01T03:00:00Z'));
  await writeSet(fs, 'redis', new Date('2026-01-02T03:00:00Z'));
  await fs.put(`${JOB}/wal/000000010000000000000001`, 'wal segment');
});
afterAll(() => rm(template, { recursive: true, force: true }));

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'prune-'));
  await cp(template, root, { recursive: true });
  storage = new FsStorage({ path: root });
  catalog = new Catalog(storage);
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function setIds(job = JOB, complete?: boolean): Promise<string[]> {
  return (await catalog.listSets(job))
    .filter((s) => complete === undefined || s.complete === complete)
    .map((s) => s.id);
}

describe('planPrune', () => {
  it('fixture: 60 complete daily sets, newest first', async () => {
    expect(await setIds()).toEqual(ALL_IDS);
    expect(ALL_IDS[0]).toBe('20260301-020000');
    expect(ALL_IDS.at(-1)).toBe('20260101-020000');
  });

  it('applies 7 daily / 4 weekly / 12 monthly over 60 days: 12 kept with restic reasons, 48 removed', async () => {
    const plan = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    expect(plan.keep.map((k) => [k.backup.id, k.reasons])).toEqual(EXPECTED_KEEP);
    expect(plan.remove.map((s) => s.id)).toEqual(EXPECTED_REMOVE_IDS);
    expect(plan.remove).toHaveLength(48);
    expect(plan.remove.every((s) => s.complete && s.job === JOB)).toBe(true);
    expect(plan.incomplete).toEqual([]);
    expect(plan.job).toBe(JOB);
    expect(await setIds()).toEqual(ALL_IDS); // planning deletes nothing
  });

  it('refuses an empty policy with CONFIG_INVALID', async () => {
    for (const policy of [{}, { keepDaily: 0, keepWithin: '0d' }, { keepLast: 0, keepWithin: '' }]) {
      const error = await planPrune({ catalog, job: JOB, policy, now: NOW }).catch((e: unknown) => e);
      expect(isBackupError(error, 'CONFIG_INVALID'), JSON.stringify(policy)).toBe(true);
      expect((error as Error).message).toContain('no policy was specified');
    }
  });

  it('rejects an invalid policy or grace period naming the field', async () => {
    const bad = await planPrune({ catalog, job: JOB, policy: { keepDaily: -3 }, now: NOW }).catch(
      (e: unknown) => e,
    );
    expect(isBackupError(bad, 'CONFIG_INVALID')).toBe(true);
    expect((bad as Error).message).toContain('retention.keepDaily must be an integer >= -1');
    for (const incompleteGraceMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await planPrune({
        catalog,
        job: JOB,
        policy: { keepLast: 1 },
        now: NOW,
        incompleteGraceMs,
      }).catch((e: unknown) => e);
      expect(isBackupError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('incompleteGraceMs');
    }
  });
});

describe('executePrune', () => {
  it('deletes exactly the removed sets; kept sets, other jobs and non-set objects stay', async () => {
    const before = await catalog.listSets(JOB);
    const removedBytes = before
      .filter((s) => EXPECTED_REMOVE_IDS.includes(s.id))
      .reduce((n, s) => n + s.bytes, 0);
    const otherJob = await listAll(storage).then((all) =>
      all.filter((o) => !o.key.startsWith(`${JOB}/2026`)),
    );

    const plan = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    const result = await executePrune({ storage, plan });

    expect(result).toEqual({
      job: JOB,
      dryRun: false,
      removedSetIds: EXPECTED_REMOVE_IDS,
      removedIncompleteSetIds: [],
      keptSets: 12,
      deletedObjects: 48 * OBJECTS_PER_SET,
      freedBytes: removedBytes,
    });
    expect(removedBytes).toBeGreaterThan(0);
    expect(await setIds(JOB)).toEqual(EXPECTED_KEEP_IDS);
    expect(await setIds(JOB, false)).toEqual([]); // no half-deleted set left
    // Every kept set is still complete and readable.
    expect((await catalog.listBackups(JOB)).map((m) => m.id)).toEqual(EXPECTED_KEEP_IDS);
    const after = await listAll(storage);
    expect(after.filter((o) => !o.key.startsWith(`${JOB}/2026`))).toEqual(otherJob);
    expect(after.filter((o) => o.key.startsWith(`${JOB}/2026`))).toHaveLength(12 * OBJECTS_PER_SET);
    // Running the same policy again removes nothing more.
    const again = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    expect(again.remove).toEqual([]);
    expect(again.keep.map((k) => [k.backup.id, k.reasons])).toEqual(EXPECTED_KEEP);
  });

  it('dry run deletes nothing and reports what a real run deletes', async () => {
    const events: PruneEvent[] = [];
    const onEvent = (message: unknown) => events.push(message as PruneEvent);
    subscribe('backup:prune', onEvent);
    try {
      const before = await listAll(storage);
      const plan = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
      const dry = await executePrune({ storage, plan, dryRun: true });
      expect(await listAll(storage)).toEqual(before);
      expect(events).toEqual([]); // no event for a dry run
      expect(dry.dryRun).toBe(true);
      expect(dry.removedSetIds).toEqual(EXPECTED_REMOVE_IDS);

      const real = await executePrune({ storage, plan });
      expect({ ...dry, dryRun: false }).toEqual(real);
      expect(real.deletedObjects).toBe(48 * OBJECTS_PER_SET);
      expect(events).toHaveLength(1);
      expect(events[0]).toEqual({
        job: JOB,
        removedSets: 48,
        keptSets: 12,
        removedIncompleteSets: 0,
        deletedObjects: 48 * OBJECTS_PER_SET,
        freedBytes: real.freedBytes,
        time: expect.any(Number),
      });
      expect(Math.abs(events[0]!.time - Date.now())).toBeLessThan(60_000);
    } finally {
      unsubscribe('backup:prune', onEvent);
    }
  });

  it('deletes manifest.json first, alone, before any other object of the set', async () => {
    const recording = new RecordingStorage(storage);
    const plan = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    await executePrune({ storage: recording, plan });

    const calls = recording.deletes;
    for (const id of EXPECTED_REMOVE_IDS) {
      const prefix = setPrefix(JOB, id);
      const touching = calls
        .map((keys, index) => ({ keys, index }))
        .filter(({ keys }) => keys.some((k) => k.startsWith(prefix)));
      expect(touching.length, id).toBeGreaterThanOrEqual(2);
      expect(touching[0]!.keys, id).toEqual([manifestKey(JOB, id)]);
      const rest = touching.slice(1).flatMap(({ keys }) => keys);
      expect(rest.sort(), id).toEqual([`${prefix}app.dump`, `${prefix}globals.sql`]);
    }
    // Sets are processed one after the other, newest removed set first.
    expect(calls[0]).toEqual([manifestKey(JOB, EXPECTED_REMOVE_IDS[0]!)]);
    // Nothing of a kept set was ever passed to delete.
    const deleted = calls.flat();
    for (const id of EXPECTED_KEEP_IDS)
      expect(
        deleted.some((k) => k.startsWith(setPrefix(JOB, id))),
        id,
      ).toBe(false);
  });

  it('a prune interrupted after a manifest delete leaves an incomplete set, never a restorable half set', async () => {
    const crashing = new RecordingStorage(storage, 2); // the delete after the first manifest fails
    const plan = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    await expect(executePrune({ storage: crashing, plan })).rejects.toThrow('simulated crash');

    const victim = EXPECTED_REMOVE_IDS[0]!;
    const listing = await catalog.listSets(JOB);
    expect(listing.find((s) => s.id === victim)).toMatchObject({ complete: false, objects: 2 });
    await expect(catalog.resolve(JOB, victim)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await catalog.listBackups(JOB)).map((m) => m.id)).not.toContain(victim);
    expect(listing.filter((s) => s.complete)).toHaveLength(DAYS - 1);

    // A later prune removes it as an incomplete set once it is older than the grace period.
    await setModified(root, JOB, victim, new Date(NOW.getTime() - 25 * HOUR_MS));
    const next = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    expect(next.incomplete.map((s) => s.id)).toEqual([victim]);
    const result = await executePrune({ storage, plan: next });
    expect(result.removedIncompleteSetIds).toEqual([victim]);
    expect(result.removedSetIds).toHaveLength(47);
    expect(await setIds()).toEqual(EXPECTED_KEEP_IDS);
  });

  it('removes incomplete sets older than the grace period and keeps younger ones', async () => {
    const old = await writeSet(storage, JOB, new Date('2026-02-26T03:00:00Z'), false);
    const boundary = await writeSet(storage, JOB, new Date('2026-02-28T03:00:00Z'), false);
    const young = await writeSet(storage, JOB, new Date('2026-03-01T03:00:00Z'), false);
    await setModified(root, JOB, old, new Date(NOW.getTime() - 30 * HOUR_MS));
    await setModified(root, JOB, boundary, new Date(NOW.getTime() - 24 * HOUR_MS)); // exactly 24 h: not older
    await setModified(root, JOB, young, new Date(NOW.getTime() - 2 * HOUR_MS));

    const plan = await planPrune({ catalog, job: JOB, policy: DEFAULT_RETENTION_POLICY, now: NOW });
    expect(plan.incomplete.map((s) => s.id)).toEqual([old]);
    // Incomplete sets never take part in the policy.
    expect(plan.keep.map((k) => k.backup.id)).toEqual(EXPECTED_KEEP_IDS);

    const dry = await executePrune({ storage, plan, dryRun: true });
    expect(dry.removedIncompleteSetIds).toEqual([old]);
    expect(await setIds(JOB, false)).toEqual([young, boundary, old]);

    const result = await executePrune({ storage, plan });
    expect(result.removedIncompleteSetIds).toEqual([old]);
    expect(result.deletedObjects).toBe(48 * OBJECTS_PER_SET + 2);
    expect(await setIds(JOB, false)).toEqual([young, boundary]);
    expect(await setIds(JOB, true)).toEqual(EXPECTED_KEEP_IDS);

    // A shorter grace period makes both remaining ones removable.
    const short = await planPrune({
      catalog,
      job: JOB,
      policy: DEFAULT_RETENTION_POLICY,
      now: NOW,
      incompleteGraceMs: HOUR_MS,
    });
    expect(short.incomplete.map((s) => s.id)).toEqual([young, boundary]);
    expect(short.remove).toEqual([]);
  });

  it('keepLast: 1 keeps only the newest set', async () => {
    const plan = await planPrune({ catalog, job: JOB, policy: { keepLast: 1 }, now: NOW });
    expect(plan.keep.map((k) => [k.backup.id, k.reasons])).toEqual([['20260301-020000', ['last snapshot']]]);
    await executePrune({ storage, plan });
    expect(await setIds()).toEqual(['20260301-020000']);
    expect((await catalog.resolve(JOB, 'latest')).id).toBe('20260301-020000');
  });

  it('never removes the newest set taken before now, even when a future-dated set wins keepLast: 1', async () => {
    const future = await writeSet(storage, JOB, new Date('2026-03-05T02:00:00Z')); // wrong clock
    const complete = (await catalog.listSets(JOB)).filter((s) => s.complete);
    // restic's semantics alone would keep only the future-dated set ...
    expect(
      applyRetentionPolicy(complete, { keepLast: 1 }, { now: NOW }).keep.map((k) => k.backup.id),
    ).toEqual([future]);
    // ... the guard also keeps the newest real one.
    const plan = await planPrune({ catalog, job: JOB, policy: { keepLast: 1 }, now: NOW });
    expect(plan.keep.map((k) => [k.backup.id, k.reasons])).toEqual([
      [future, ['last snapshot']],
      ['20260301-020000', [NEWEST_PAST_SET_REASON]],
    ]);
    expect(plan.remove).toHaveLength(DAYS - 1);
    await executePrune({ storage, plan });
    expect(await setIds()).toEqual([future, '20260301-020000']);
  });

  it('keeps the newest set with a keep-within policy whose window holds nothing else', async () => {
    const plan = await planPrune({
      catalog,
      job: JOB,
      policy: { keepWithin: '1h' },
      now: new Date('2027-01-01T00:00:00Z'),
    });
    expect(plan.keep.map((k) => [k.backup.id, k.reasons])).toEqual([['20260301-020000', ['within 1h']]]);
    await executePrune({ storage, plan });
    expect(await setIds()).toEqual(['20260301-020000']);
  });

  it('refuses a hand-made plan that would remove every complete set or mixes jobs', async () => {
    const plan = await planPrune({ catalog, job: JOB, policy: { keepLast: 1 }, now: NOW });
    const all = await catalog.listSets(JOB);
    const before = await listAll(storage);
    for (const bad of [
      { ...plan, keep: [], remove: all },
      { ...plan, remove: [...plan.remove, plan.keep[0]!.backup] },
      { ...plan, job: 'redis' },
    ]) {
      const error = await executePrune({ storage, plan: bad }).catch((e: unknown) => e);
      expect(isBackupError(error, 'INTERNAL'), String(error)).toBe(true);
    }
    expect(await listAll(storage)).toEqual(before);
  });
});
