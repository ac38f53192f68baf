import { hostname, userInfo } from 'node:os';
import { text } from 'node:stream/consumers';
import { BackupError, isBackupError, toBackupError } from '../errors.js';
import type { StorageBackend } from '../storage/StorageBackend.js';
import { type JobLockInfo, jobLockInfoSchema } from './jobLockInfo.js';
import { jobLockKey, jobLockTakeoverKey } from './jobLockKey.js';

/** Default lock lifetime: 6 hours, longer than any nightly backup should run. */
export const DEFAULT_JOB_LOCK_TTL_MS = 6 * 60 * 60 * 1000;

/** Options of {@link acquireJobLock}. */
export interface AcquireJobLockOptions {
  /** Where the lock lives: the same backend (and prefix) the job writes its backup sets to. */
  storage: StorageBackend;
  /** Job name (one path segment); the lock key is `<job>/lock.json`. */
  job: string;
  /** Who holds the lock, for humans reading `LOCKED` errors. Default: the OS user name. */
  owner?: string | undefined;
  /** Host name recorded in the lock. Default `os.hostname()` (the pod name in Kubernetes). */
  host?: string | undefined;
  /**
   * Lifetime in ms from acquisition (or from the last `refresh`); after it the lock is stale and
   * the next `acquireJobLock` takes it over. Default {@link DEFAULT_JOB_LOCK_TTL_MS} (6 h). Must
   * exceed the job's run time, or the job must call `refresh` periodically (e.g. every ttl/3).
   */
  ttlMs?: number | undefined;
  /** Clock; default `() => new Date()`. Tests inject one to expire locks. */
  clock?: (() => Date) | undefined;
}

/** A held job lock, returned by {@link acquireJobLock}. */
export interface JobLock {
  /** Storage key of the lock object, `<job>/lock.json`. */
  readonly key: string;
  /** What the lock object holds now (`expiresAt` moves on `refresh`). */
  readonly info: JobLockInfo;
  /**
   * Deletes the lock object if it is still this lock (same `token`); otherwise (it expired and
   * someone took it over, or it was deleted by hand) leaves storage alone. Idempotent.
   * Read-compare-delete is not atomic (the backend has no conditional delete): the lock could
   * change between the read and the delete only if it had already expired and another process
   * took it over in that instant, which a ttl longer than the job (or `refresh`) rules out.
   * Throws storage errors (`STORAGE_UNREACHABLE`); the lock then stays until it expires.
   */
  release(): Promise<void>;
  /**
   * Moves `expiresAt` to now + ttl, if the stored lock is still this one (read-compare-put, same
   * caveat as `release`). Throws `LOCKED` when the lock was lost (expired and taken over, or
   * deleted): the caller must stop writing, another run may be writing the same job.
   * Throws `INTERNAL` after `release`.
   */
  refresh(): Promise<void>;
}

/** Takeover claims expire after this long (or the lock ttl, if shorter). */
const TAKEOVER_TTL_MS = 15 * 60 * 1000;
/** Generations of takeover claims tried per expired lock before giving up. */
const MAX_TAKEOVER_GENERATIONS = 8;
/** Rounds of create -> read -> (vanished | taken over) before giving up. */
const MAX_ATTEMPTS = 3;

interface StoredLock {
  raw: string;
  info: JobLockInfo | undefined;
}

/**
 * Acquires the one-writer lock of a job: creates `<job>/lock.json` with
 * `storage.createExclusive` (S3 `If-None-Match: *`, fs hard link: atomic, exactly one creator
 * wins) holding `{ owner, host, pid, acquiredAt, expiresAt, token }` (ISO 8601 times).
 *
 * - Lock absent: created, returned.
 * - Lock present and not expired: throws `LOCKED` naming its owner, host, pid, acquiredAt and
 *   expiresAt; nothing in storage changes.
 * - Lock present and expired (a crashed pod never released it): taken over. Deleting it and
 *   calling `createExclusive` again is not enough on its own: two processes that both read the
 *   same expired lock could both delete, and the second delete would remove the first one's
 *   fresh lock, leaving two winners. So a process first claims the takeover by creating
 *   `<job>/lock-takeover-<hash of the expired lock>-<n>.json` with `createExclusive` (one claimant
 *   per expired lock), re-reads the lock and deletes it only if it is still the same expired
 *   lock, then retries `createExclusive` once and deletes its claim. A new lock never has the
 *   same content as an expired one (fresh token), so a late claimant sees the change and backs
 *   off. Exactly one process wins, assuming no process stalls longer than the claim lifetime
 *   (15 min, or ttl if shorter) between claiming and deleting: a claimant that crashed mid-way
 *   leaves its claim behind, and the next generation `<n+1>` may claim once that one expired.
 * - Lock unreadable (not our JSON): throws `LOCKED`, telling to delete it by hand if no run is
 *   active.
 *
 * The lock does not stop a process that ignores it; every writer of a job must take it. Expiry
 * compares the holder's timestamps with this host's clock: hosts' clocks must agree to well
 * within the ttl (NTP).
 *
 * @throws BackupError `LOCKED` (held by another run), `CONFIG_INVALID` (bad job name or ttlMs),
 *   `STORAGE_UNREACHABLE` (backend errors).
 */
export async function acquireJobLock(options: AcquireJobLockOptions): Promise<JobLock> {
  const { storage, job } = options;
  const key = jobLockKey(job);
  const ttlMs = options.ttlMs ?? DEFAULT_JOB_LOCK_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Lock ttlMs must be a positive integer of milliseconds (got ${ttlMs})`,
    );
  }
  const clock = options.clock ?? (() => new Date());
  const base = { owner: options.owner ?? defaultOwner(), host: options.host ?? hostname(), pid: process.pid };
  const fresh = (): JobLockInfo => {
    const now = clock();
    return {
      ...base,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      token: process.getBuiltinModule('node:crypto').randomUUID(),
    };
  };
  const held = (info: JobLockInfo): JobLock => new HeldJobLock(storage, key, info, ttlMs, clock);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const mine = fresh();
    if (await create(storage, key, serialize(mine))) return held(mine);
    const current = await readLock(storage, key);
    if (current === undefined) continue; // released between our create and read: try again
    if (current.info === undefined) throw unreadable(job, key);
    if (clock().getTime() < Date.parse(current.info.expiresAt)) throw locked(job, key, current.info);

    // Expired: claim the takeover, so only one process deletes this expired lock.
    const stale = process
      .getBuiltinModule('node:crypto')
      .createHash('sha256')
      .update(current.raw)
      .digest('hex')
      .slice(0, 16);
    const claims = await claimTakeover(storage, job, stale, base, clock(), Math.min(ttlMs, TAKEOVER_TTL_MS));
    if (claims === undefined) throw takeoverInProgress(job, key, current.info);
    try {
      const again = await readLock(storage, key);
      if (again !== undefined && again.raw !== current.raw) continue; // changed: look again
      if (again !== undefined) await del(storage, key);
      const retry = fresh();
      if (await create(storage, key, serialize(retry))) return held(retry);
      // A plain acquire (which needs no claim) created the lock after our delete: it won.
    } finally {
      await storage.delete(claims).catch(() => {}); // best effort: claims expire on their own
    }
  }
  const last = await readLock(storage, key);
  if (last?.info) throw locked(job, key, last.info);
  throw new BackupError(
    'LOCKED',
    `The lock of job ${job} (${key}) kept changing while acquiring it: another run is starting; try again`,
    { details: { job, key } },
  );
}

/**
 * Creates the first free takeover claim for the expired lock `stale`. Returns the claim keys to
 * delete afterwards (ours and the expired generations before it), or `undefined` when a live
 * claim exists (another process is taking over right now).
 */
async function claimTakeover(
  storage: StorageBackend,
  job: string,
  stale: string,
  base: { owner: string; host: string; pid: number },
  now: Date,
  claimTtlMs: number,
): Promise<string[] | undefined> {
  const body = JSON.stringify({
    ...base,
    claimedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + claimTtlMs).toISOString(),
  });
  const keys: string[] = [];
  for (let generation = 1; generation <= MAX_TAKEOVER_GENERATIONS; generation++) {
    const claimKey = jobLockTakeoverKey(job, stale, generation);
    keys.push(claimKey);
    if (await create(storage, claimKey, body)) return keys;
    const existing = await readLock(storage, claimKey);
    const expiresAt = existing ? Date.parse(String(safeJson(existing.raw)?.expiresAt)) : Number.NaN;
    // Live claim: someone is taking over right now. A vanished claim means its holder finished
    // (the lock changed), a corrupt or expired one that its holder died: try the next generation.
    if (existing !== undefined && now.getTime() < expiresAt) return undefined;
  }
  return undefined;
}

class HeldJobLock implements JobLock {
  readonly key: string;
  #info: JobLockInfo;
  #released = false;
  readonly #storage: StorageBackend;
  readonly #ttlMs: number;
  readonly #clock: () => Date;

  constructor(storage: StorageBackend, key: string, info: JobLockInfo, ttlMs: number, clock: () => Date) {
    this.#storage = storage;
    this.key = key;
    this.#info = info;
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  get info(): JobLockInfo {
    return { ...this.#info };
  }

  async release(): Promise<void> {
    if (this.#released) return;
    const current = await readLock(this.#storage, this.key);
    if (current?.info?.token === this.#info.token) await del(this.#storage, this.key);
    this.#released = true;
  }

  async refresh(): Promise<void> {
    if (this.#released) throw new BackupError('INTERNAL', `The lock ${this.key} was already released`);
    const current = await readLock(this.#storage, this.key);
    if (current?.info?.token !== this.#info.token) {
      const job = this.key.slice(0, this.key.indexOf('/'));
      throw new BackupError(
        'LOCKED',
        `Lost the lock of job ${job}: ${this.key} ` +
          (current?.info
            ? `now belongs to ${describe(current.info)}`
            : 'was deleted (it expired, or someone removed it)') +
          ` after this run's lock expired at ${this.#info.expiresAt}; stop writing, another run may be ` +
          'writing this job. Use a longer lock ttl or refresh more often.',
        { details: { job, key: this.key } },
      );
    }
    const now = this.#clock();
    const next: JobLockInfo = {
      ...this.#info,
      expiresAt: new Date(now.getTime() + this.#ttlMs).toISOString(),
    };
    try {
      await this.#storage.put(this.key, serialize(next), { contentType: 'application/json' });
    } catch (error) {
      throw toBackupError(error, 'STORAGE_UNREACHABLE', `Refreshing the lock ${this.key} failed`);
    }
    this.#info = next;
  }
}

function serialize(info: JobLockInfo): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}

async function create(storage: StorageBackend, key: string, body: string): Promise<boolean> {
  try {
    return await storage.createExclusive(key, body);
  } catch (error) {
    throw toBackupError(error, 'STORAGE_UNREACHABLE', `Creating the lock object ${key} failed`);
  }
}

async function del(storage: StorageBackend, key: string): Promise<void> {
  try {
    await storage.delete([key]);
  } catch (error) {
    throw toBackupError(error, 'STORAGE_UNREACHABLE', `Deleting the lock object ${key} failed`);
  }
}

/** Reads a lock (or claim) object; `undefined` when it does not exist, `info` unset when not a valid lock. */
async function readLock(storage: StorageBackend, key: string): Promise<StoredLock | undefined> {
  let raw: string;
  try {
    raw = await text(await storage.get(key));
  } catch (error) {
    if (isBackupError(error, 'NOT_FOUND')) return undefined;
    throw toBackupError(error, 'STORAGE_UNREACHABLE', `Reading the lock object ${key} failed`);
  }
  const parsed = jobLockInfoSchema.safeParse(safeJson(raw));
  return { raw, info: parsed.success ? parsed.data : undefined };
}

function safeJson(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function defaultOwner(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

function describe(info: JobLockInfo): string {
  return `owner ${info.owner} on host ${info.host} (pid ${info.pid}), acquired at ${info.acquiredAt}, expiring at ${info.expiresAt}`;
}

function locked(job: string, key: string, info: JobLockInfo): BackupError {
  return new BackupError(
    'LOCKED',
    `Job ${job} is locked by ${describe(info)}: another run of this job is in progress. Wait for it ` +
      `to finish; if it crashed, the lock is taken over after it expires, or delete ${key} once you ` +
      'are sure no run is active.',
    {
      details: {
        job,
        key,
        owner: info.owner,
        host: info.host,
        pid: info.pid,
        acquiredAt: info.acquiredAt,
        expiresAt: info.expiresAt,
      },
    },
  );
}

function takeoverInProgress(job: string, key: string, info: JobLockInfo): BackupError {
  return new BackupError(
    'LOCKED',
    `Job ${job}'s lock (${describe(info)}) has expired and another run is taking it over right now; ` +
      'this run does not start. Check that only one schedule runs this job.',
    {
      details: {
        job,
        key,
        owner: info.owner,
        host: info.host,
        acquiredAt: info.acquiredAt,
        expiresAt: info.expiresAt,
      },
    },
  );
}

function unreadable(job: string, key: string): BackupError {
  return new BackupError(
    'LOCKED',
    `The lock of job ${job} (${key}) exists but is not a valid lock object; if no run of this job is ` +
      `active, delete ${key} and retry.`,
    { details: { job, key } },
  );
}
