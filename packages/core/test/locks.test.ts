import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/Catalog.js';
import { type BackupError, isBackupError } from '../src/errors.js';
import { acquireJobLock, type JobLock } from '../src/locks/acquireJobLock.js';
import { jobLockKey, jobLockTakeoverKey } from '../src/locks/jobLockKey.js';
import { FsStorage } from '../src/storage/FsStorage.js';
import type { StorageBackend } from '../src/storage/StorageBackend.js';

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2026-01-21T02:00:00.000Z');

/** A clock the test moves by hand. */
function manualClock(start = T0) {
  let now = start;
  return { clock: () => new Date(now), set: (ms: number) => (now = ms) };
}

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

async function readRaw(storage: StorageBackend, key: string): Promise<string | undefined> {
  if (!(await storage.head(key))) return undefined;
  return text(await storage.get(key));
}

/**
 * The job-lock suite, independent of the backend: give it a fresh storage per run (the S3
 * backend can be plugged in the same way as FsStorage below). Each test uses its own job name.
 */
function describeJobLockSuite(
  name: string,
  open: () => Promise<{ storage: StorageBackend; close(): Promise<void> }>,
) {
  describe(`job locks on ${name}`, () => {
    let storage: StorageBackend;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ storage, close } = await open());
    });
    afterAll(() => close());

    it('writes <job>/lock.json with owner, host, pid, acquiredAt, expiresAt (ISO) and a token', async () => {
      const { clock } = manualClock();
      const lock = await acquireJobLock({ storage, job: 'shape', owner: 'cron pg', host: 'pod-1', clock });
      expect(lock.key).toBe('shape/lock.json');
      const stored = JSON.parse((await readRaw(storage, 'shape/lock.json'))!);
      expect(stored).toEqual({
        owner: 'cron pg',
        host: 'pod-1',
        pid: process.pid,
        acquiredAt: '2026-01-21T02:00:00.000Z',
        expiresAt: '2026-01-21T08:00:00.000Z', // default ttl 6 h
        token: lock.info.token,
      });
      expect(lock.info).toEqual(stored);
      // Two segments: never listed as a backup set.
      expect(await new Catalog(storage).listSets('shape')).toEqual([]);
      await lock.release();
    });

    it('a second acquire while held fails with LOCKED naming the holder, and changes nothing', async () => {
      const { clock, set } = manualClock();
      const first = await acquireJobLock({
        storage,
        job: 'held',
        owner: 'run-A',
        host: 'pod-a',
        clock,
        ttlMs: HOUR,
      });
      const before = await readRaw(storage, first.key);
      set(T0 + HOUR - 1); // one ms before expiry
      const error = await rejection(
        acquireJobLock({ storage, job: 'held', owner: 'run-B', host: 'pod-b', clock }),
      );
      expect(isBackupError(error, 'LOCKED')).toBe(true);
      for (const part of ['run-A', 'pod-a', '2026-01-21T02:00:00.000Z', '2026-01-21T03:00:00.000Z']) {
        expect(error.message).toContain(part);
      }
      expect(error.details).toMatchObject({
        owner: 'run-A',
        host: 'pod-a',
        expiresAt: '2026-01-21T03:00:00.000Z',
      });
      expect(await readRaw(storage, first.key)).toBe(before);
      await first.release();
    });

    it('after release the lock is gone and a new acquire works; release is idempotent', async () => {
      const first = await acquireJobLock({ storage, job: 'cycle' });
      await first.release();
      expect(await storage.head('cycle/lock.json')).toBeUndefined();
      await first.release();
      const second = await acquireJobLock({ storage, job: 'cycle', owner: 'again' });
      expect(JSON.parse((await readRaw(storage, 'cycle/lock.json'))!).owner).toBe('again');
      await second.release();
      expect(await storage.head('cycle/lock.json')).toBeUndefined();
    });

    it('an expired lock (crashed run) is taken over; the old holder can neither release nor refresh it', async () => {
      const { clock, set } = manualClock();
      const crashed = await acquireJobLock({ storage, job: 'stale', owner: 'crashed', clock, ttlMs: HOUR });
      set(T0 + HOUR); // expiresAt reached
      const next = await acquireJobLock({ storage, job: 'stale', owner: 'next', clock, ttlMs: HOUR });
      const stored = JSON.parse((await readRaw(storage, 'stale/lock.json'))!);
      expect(stored.owner).toBe('next');
      expect(stored.token).toBe(next.info.token);
      expect(stored.acquiredAt).toBe('2026-01-21T03:00:00.000Z');

      // The crashed run wakes up: release must not delete someone else's lock.
      await crashed.release();
      expect(JSON.parse((await readRaw(storage, 'stale/lock.json'))!).token).toBe(next.info.token);
      const lost = await rejection(
        (async () => {
          const zombie = await acquireJobLock({ storage, job: 'stale-2', owner: 'z', clock, ttlMs: HOUR });
          set(T0 + 3 * HOUR);
          await acquireJobLock({ storage, job: 'stale-2', owner: 'thief', clock });
          await zombie.refresh();
        })(),
      );
      expect(isBackupError(lost, 'LOCKED')).toBe(true);
      expect(lost.message).toContain('thief');
      // No takeover claims are left behind.
      const left: string[] = [];
      for await (const o of storage.list('stale')) left.push(o.key);
      expect(left.sort()).toEqual(['stale-2/lock.json', 'stale/lock.json']);
      await next.release();
    });

    it('release leaves a lock that was deleted by hand and re-taken by another run', async () => {
      const a = await acquireJobLock({ storage, job: 'manual', owner: 'a' });
      await storage.delete([a.key]);
      const b = await acquireJobLock({ storage, job: 'manual', owner: 'b' });
      await a.release();
      expect(JSON.parse((await readRaw(storage, 'manual/lock.json'))!).owner).toBe('b');
      await b.release();
    });

    it('refresh moves expiresAt, so the lock is not taken over after the original expiry', async () => {
      const { clock, set } = manualClock();
      const lock = await acquireJobLock({ storage, job: 'long', owner: 'long-run', clock, ttlMs: HOUR });
      set(T0 + 50 * 60 * 1000);
      await lock.refresh();
      expect(lock.info.expiresAt).toBe('2026-01-21T03:50:00.000Z');
      expect(JSON.parse((await readRaw(storage, 'long/lock.json'))!).expiresAt).toBe(
        '2026-01-21T03:50:00.000Z',
      );
      set(T0 + 90 * 60 * 1000); // past the first expiry, before the refreshed one
      const error = await rejection(acquireJobLock({ storage, job: 'long', owner: 'other', clock }));
      expect(isBackupError(error, 'LOCKED')).toBe(true);
      await lock.release();
      expect(await storage.head('long/lock.json')).toBeUndefined();
      expect(isBackupError(await rejection(lock.refresh()), 'INTERNAL')).toBe(true);
    });

    it('concurrent acquires (5 at once): exactly one wins, the others get LOCKED', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => acquireJobLock({ storage, job: 'race', owner: `w${i}` })),
      );
      const winners = results.filter((r): r is PromiseFulfilledResult<JobLock> => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(isBackupError(r.reason, 'LOCKED')).toBe(true);
      }
      const stored = JSON.parse((await readRaw(storage, 'race/lock.json'))!);
      expect(stored.token).toBe(winners[0]!.value.info.token);
      await winners[0]!.value.release();
    });

    it('concurrent takeovers of one expired lock (5 at once, 10 rounds): exactly one wins each round', async () => {
      for (let round = 0; round < 10; round++) {
        const { clock, set } = manualClock(T0 + round * 10 * HOUR);
        const crashed = await acquireJobLock({
          storage,
          job: 'takeover',
          owner: 'crashed',
          clock,
          ttlMs: HOUR,
        });
        set(T0 + round * 10 * HOUR + 2 * HOUR);
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) =>
            acquireJobLock({ storage, job: 'takeover', owner: `r${round}w${i}`, clock, ttlMs: HOUR }),
          ),
        );
        const winners = results.filter((r): r is PromiseFulfilledResult<JobLock> => r.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(isBackupError(r.reason, 'LOCKED')).toBe(true);
        }
        const stored = JSON.parse((await readRaw(storage, 'takeover/lock.json'))!);
        expect(stored.token).toBe(winners[0]!.value.info.token);
        expect(stored.token).not.toBe(crashed.info.token);
        await winners[0]!.value.release();
      }
    });

    it('a live takeover claim blocks (LOCKED); an expired one (crashed claimant) is skipped', async () => {
      const { clock, set } = manualClock();
      await acquireJobLock({ storage, job: 'claimed', owner: 'crashed', clock, ttlMs: HOUR });
      const raw = (await readRaw(storage, 'claimed/lock.json'))!;
      const stale = createHash('sha256').update(raw).digest('hex').slice(0, 16);
      const claim = jobLockTakeoverKey('claimed', stale, 1);
      expect(claim).toBe(`claimed/lock-takeover-${stale}-1.json`);
      await storage.put(
        claim,
        JSON.stringify({
          owner: 'slow',
          claimedAt: new Date(T0 + 2 * HOUR).toISOString(),
          expiresAt: new Date(T0 + 2 * HOUR + 60_000).toISOString(),
        }),
      );
      set(T0 + 2 * HOUR + 30_000);
      const error = await rejection(acquireJobLock({ storage, job: 'claimed', owner: 'b', clock }));
      expect(isBackupError(error, 'LOCKED')).toBe(true);
      expect(error.message).toContain('taking it over');
      expect(await readRaw(storage, 'claimed/lock.json')).toBe(raw);

      set(T0 + 2 * HOUR + 120_000); // the claim expired: its holder died mid-takeover
      const lock = await acquireJobLock({ storage, job: 'claimed', owner: 'c', clock });
      expect(JSON.parse((await readRaw(storage, 'claimed/lock.json'))!).owner).toBe('c');
      expect(await storage.head(claim)).toBeUndefined(); // cleaned up by the winner
      await lock.release();
    });

    it('an unreadable lock object is never taken over: LOCKED, telling to delete it', async () => {
      await storage.put('garbled/lock.json', 'not json');
      const error = await rejection(
        acquireJobLock({ storage, job: 'garbled', clock: () => new Date(T0 + 1e12) }),
      );
      expect(isBackupError(error, 'LOCKED')).toBe(true);
      expect(error.message).toContain('delete garbled/lock.json');
      expect(await readRaw(storage, 'garbled/lock.json')).toBe('not json');
    });

    it('rejects job names that are not one path segment, and bad ttls', async () => {
      for (const job of ['', 'a/b', '..', 'x'.repeat(64)]) {
        expect(isBackupError(await rejection(acquireJobLock({ storage, job })), 'CONFIG_INVALID')).toBe(true);
      }
      expect(jobLockKey('pg')).toBe('pg/lock.json');
      for (const ttlMs of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
        expect(
          isBackupError(await rejection(acquireJobLock({ storage, job: 'ttl', ttlMs })), 'CONFIG_INVALID'),
        ).toBe(true);
      }
    });
  });
}

describeJobLockSuite('FsStorage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'locks-'));
  return { storage: new FsStorage({ path: dir }), close: () => rm(dir, { recursive: true, force: true }) };
});
