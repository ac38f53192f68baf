// runJobCycle: lock -> backup -> verify -> prune -> release, on FsStorage with a tiny in-test engine.
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/Catalog.js';
import { createAgeEncryptor } from '../src/encryption/createAgeEncryptor.js';
import type { Engine } from '../src/engine/Engine.js';
import { BackupError } from '../src/errors.js';
import type { JobEvent } from '../src/events.js';
import { runJobCycle } from '../src/jobs/runJobCycle.js';
import { acquireJobLock } from '../src/locks/acquireJobLock.js';
import { jobLockKey } from '../src/locks/jobLockKey.js';
import { BackupSetWriter } from '../src/set/BackupSetWriter.js';
import { FsStorage } from '../src/storage/FsStorage.js';
import type { StorageBackend } from '../src/storage/StorageBackend.js';

const JOB = 'tiny';
const DAY_MS = 86_400_000;
/** The cycle runs "now" = 2026-01-10 02:00 UTC; older sets are made on the days before. */
const NOW = new Date('2026-01-10T02:00:00Z');
const clock = () => NOW;

interface TinyEngineOptions {
  /** Chunks the source emits; default one line. */
  chunks?: () => AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Makes `verify` fail with VERIFY_FAILED. */
  badVerify?: boolean;
  /** Called when `backup` starts (before the artifact is written). */
  onBackup?: () => void | Promise<void>;
}

/** A tiny engine: one unit `db`, one artifact `db.txt` streamed from a Readable. */
function tinyEngine(options: TinyEngineOptions = {}): Engine & { verified: number } {
  const engine = {
    name: 'tiny',
    verified: 0,
    async describe() {
      return { version: '1.0', metadata: {} };
    },
    async discover() {
      return [{ name: 'db', kind: 'database' }];
    },
    async backup(unit, sink) {
      await options.onBackup?.();
      await sink.write({
        name: 'db.txt',
        unit: unit.name,
        mediaType: 'text/plain',
        source: Readable.from(options.chunks?.() ?? [Buffer.from('hello from the tiny engine\n')]),
      });
      return { rows: 1 };
    },
    async verify(_artifact, plaintext) {
      const body = await text(plaintext);
      if (options.badVerify || !body.startsWith('hello')) {
        throw new BackupError('VERIFY_FAILED', 'not a tiny dump');
      }
      engine.verified += 1;
    },
    async restore() {
      throw new BackupError('INTERNAL', 'not used');
    },
  } satisfies Engine & { verified: number };
  return engine;
}

/** A failing source: emits some bytes, then an error (a dump that died mid-way). */
async function* failingChunks(): AsyncIterable<Buffer> {
  yield Buffer.from('hello, partial');
  throw new BackupError('SOURCE_FAILED', 'the tiny server went away');
}

async function writeOldSet(storage: StorageBackend, at: Date): Promise<string> {
  const writer = await BackupSetWriter.create({
    storage,
    job: JOB,
    compression: { algorithm: 'none' },
    clock: () => at,
  });
  await writer.write({
    name: 'db.txt',
    unit: 'db',
    mediaType: 'text/plain',
    source: Readable.from([Buffer.from(`hello of ${at.toISOString()}\n`)]),
  });
  await writer.commit({ engine: { name: 'tiny' }, units: [{ name: 'db', kind: 'database', metadata: {} }] });
  return writer.id;
}

/** Four complete sets on the four days before NOW, newest first. */
async function seedOldSets(storage: StorageBackend): Promise<string[]> {
  const ids: string[] = [];
  for (let day = 4; day >= 1; day--)
    ids.unshift(await writeOldSet(storage, new Date(NOW.getTime() - day * DAY_MS)));
  return ids;
}

async function allKeys(storage: StorageBackend): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('')) keys.push(object.key);
  return keys.sort();
}

async function completeIds(storage: StorageBackend): Promise<string[]> {
  return (await new Catalog(storage).listSets(JOB)).filter((s) => s.complete).map((s) => s.id);
}

async function lockExists(storage: StorageBackend): Promise<boolean> {
  return (await storage.head(jobLockKey(JOB))) !== undefined;
}

let dir: string;
let storage: FsStorage;
let recipient: string;
const events: JobEvent[] = [];
const onJob = (message: unknown) => events.push(message as JobEvent);

beforeAll(async () => {
  const keyDir = await mkdtemp(join(tmpdir(), 'jobcycle-keys-'));
  execFileSync('age-keygen', ['-o', join(keyDir, 'id.txt')], { stdio: 'ignore' });
  recipient = execFileSync('age-keygen', ['-y', join(keyDir, 'id.txt')])
    .toString()
    .trim();
  await rm(keyDir, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobcycle-'));
  storage = new FsStorage({ path: dir });
  events.length = 0;
  subscribe('backup:job', onJob);
});

afterEach(async () => {
  unsubscribe('backup:job', onJob);
  await rm(dir, { recursive: true, force: true });
});

describe('runJobCycle', () => {
  it('backs up, verifies deep (unencrypted), prunes to the policy and releases the lock', async () => {
    const old = await seedOldSets(storage);
    const engine = tinyEngine();
    const result = await runJobCycle({
      job: JOB,
      engine,
      storage,
      compression: { algorithm: 'zstd', level: 3 },
      retention: { keepLast: 3 },
      clock,
    });
    expect(result.error).toBeUndefined();
    expect(result.failedStep).toBeUndefined();
    expect(result.manifest?.id).toBe('20260110-020000');
    expect(result.verify?.ok).toBe(true);
    expect(result.verify?.artifacts.map((a) => a.level)).toEqual(['deep']);
    expect(engine.verified).toBe(1);
    expect(result.prune?.removedSetIds).toEqual([old[2], old[3]]);
    expect(result.prune?.keptSets).toBe(3);
    expect(await completeIds(storage)).toEqual(['20260110-020000', old[0], old[1]]);
    expect(await lockExists(storage)).toBe(false);
    expect(events.map((e) => e.phase)).toEqual(['start', 'success']);
  });

  it('verifies encrypted artifacts at the checksum level (no identity on the backup side)', async () => {
    const engine = tinyEngine();
    const result = await runJobCycle({
      job: JOB,
      engine,
      storage,
      compression: { algorithm: 'zstd', level: 3 },
      encryptor: createAgeEncryptor({ recipients: [recipient] }),
      retention: { keepDaily: 7 },
      clock,
    });
    expect(result.error).toBeUndefined();
    expect(result.manifest?.artifacts.map((a) => a.name)).toEqual(['db.txt.zst.age']);
    expect(result.verify?.artifacts.map((a) => [a.level, a.ok])).toEqual([['checksum', true]]);
    expect(engine.verified).toBe(0);
    expect(result.prune?.removedSetIds).toEqual([]);
  });

  it('a failing engine: SOURCE_FAILED, no manifest, no prune (older sets still there), lock released', async () => {
    const old = await seedOldSets(storage);
    const before = await allKeys(storage);
    const result = await runJobCycle({
      job: JOB,
      engine: tinyEngine({ chunks: failingChunks }),
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 1 },
      clock,
    });
    expect(result.error?.code).toBe('SOURCE_FAILED');
    expect(result.failedStep).toBe('backup');
    expect(result.manifest).toBeUndefined();
    expect(result.verify).toBeUndefined();
    expect(result.prune).toBeUndefined();
    // keepLast 1 would have removed three sets: prune did not run.
    expect(await completeIds(storage)).toEqual(old);
    expect(await allKeys(storage)).toEqual(before);
    expect(await lockExists(storage)).toBe(false);
    expect(events.map((e) => e.phase)).toEqual(['start', 'failure']);
  });

  it('a failed verify: the set stays (complete) but prune is skipped', async () => {
    const old = await seedOldSets(storage);
    const result = await runJobCycle({
      job: JOB,
      engine: tinyEngine({ badVerify: true }),
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 1 },
      clock,
    });
    expect(result.error?.code).toBe('VERIFY_FAILED');
    expect(result.failedStep).toBe('verify');
    expect(result.manifest?.id).toBe('20260110-020000');
    expect(result.verify?.ok).toBe(false);
    expect(result.prune).toBeUndefined();
    expect(await completeIds(storage)).toEqual(['20260110-020000', ...old]);
    expect(await lockExists(storage)).toBe(false);
  });

  it('LOCKED when another run holds the lock: nothing is written, the holder keeps its lock', async () => {
    await seedOldSets(storage);
    const held = await acquireJobLock({ storage, job: JOB, owner: 'other-run', clock });
    const before = await allKeys(storage);
    const engine = tinyEngine({
      onBackup: () => {
        throw new Error('the engine must not run');
      },
    });
    const result = await runJobCycle({
      job: JOB,
      engine,
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 1 },
      clock,
    });
    expect(result.error?.code).toBe('LOCKED');
    expect(result.error?.message).toContain('other-run');
    expect(result.failedStep).toBe('lock');
    expect(await allKeys(storage)).toEqual(before);
    expect(events).toEqual([]);
    await held.release();
    expect(await lockExists(storage)).toBe(false);
  });

  it('abort mid-backup: ABORTED, no manifest, the partial set deleted, lock released', async () => {
    const old = await seedOldSets(storage);
    const controller = new AbortController();
    let sent = 0;
    async function* endless(): AsyncIterable<Buffer> {
      const chunk = Buffer.alloc(64 * 1024, 'hello ');
      for (;;) {
        yield chunk;
        sent += chunk.length;
        if (sent === 1024 * 1024) controller.abort(new Error('SIGTERM'));
        await new Promise((r) => setImmediate(r));
      }
    }
    const result = await runJobCycle({
      job: JOB,
      engine: tinyEngine({ chunks: endless }),
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 1 },
      clock,
      signal: controller.signal,
    });
    expect(result.error?.code).toBe('ABORTED');
    expect(result.failedStep).toBe('backup');
    expect(result.manifest).toBeUndefined();
    expect(result.prune).toBeUndefined();
    expect(sent).toBeGreaterThanOrEqual(1024 * 1024);
    expect(await completeIds(storage)).toEqual(old);
    const sets = await new Catalog(storage).listSets(JOB);
    expect(sets.map((s) => s.id)).toEqual(old); // the partial set is gone too
    expect(await lockExists(storage)).toBe(false);
    // The lock is free: the next run takes it.
    await (await acquireJobLock({ storage, job: JOB, clock })).release();
  });

  it('an already aborted signal: nothing happens at all', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runJobCycle({
      job: JOB,
      engine: tinyEngine(),
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 1 },
      signal: controller.signal,
    });
    expect(result.error?.code).toBe('ABORTED');
    expect(result.failedStep).toBe('lock');
    expect(await allKeys(storage)).toEqual([]);
  });

  it('an empty retention policy fails with CONFIG_INVALID before anything is written', async () => {
    const result = await runJobCycle({
      job: JOB,
      engine: tinyEngine(),
      storage,
      compression: { algorithm: 'none' },
      retention: { keepDaily: 0 },
      clock,
    });
    expect(result.error?.code).toBe('CONFIG_INVALID');
    expect(result.failedStep).toBe('config');
    expect(await allKeys(storage)).toEqual([]);
  });

  it('dryRunPrune reports what would be removed and deletes nothing', async () => {
    const old = await seedOldSets(storage);
    const result = await runJobCycle({
      job: JOB,
      engine: tinyEngine(),
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 2 },
      clock,
      dryRunPrune: true,
    });
    expect(result.error).toBeUndefined();
    expect(result.prune?.dryRun).toBe(true);
    expect(result.prune?.removedSetIds).toEqual([old[1], old[2], old[3]]);
    expect(await completeIds(storage)).toEqual(['20260110-020000', ...old]);
  });

  it('a lost lock (taken over while running) stops the cycle with LOCKED and writes no manifest', async () => {
    let replaced = false;
    async function* slow(): AsyncIterable<Buffer> {
      for (let i = 0; i < 200; i++) {
        yield Buffer.from('hello slowly\n');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const engine = tinyEngine({
      chunks: slow,
      onBackup: async () => {
        // Another process's lock replaces ours (as after an expiry and takeover).
        const key = jobLockKey(JOB);
        const other = JSON.parse(await text(await storage.get(key))) as Record<string, unknown>;
        await storage.put(
          key,
          JSON.stringify({ ...other, owner: 'usurper', token: '00000000-0000-4000-8000-000000000000' }),
        );
        replaced = true;
      },
    });
    const result = await runJobCycle({
      job: JOB,
      engine,
      storage,
      compression: { algorithm: 'none' },
      retention: { keepLast: 1 },
      lockTtlMs: 150,
    });
    expect(replaced).toBe(true);
    expect(result.error?.code).toBe('LOCKED');
    expect(result.error?.message).toContain('usurper');
    expect(result.manifest).toBeUndefined();
    expect(await new Catalog(storage).listBackups(JOB)).toEqual([]);
    // The usurper's lock is left alone.
    expect(await text(await storage.get(jobLockKey(JOB)))).toContain('usurper');
  });
});
