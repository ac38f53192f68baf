// runBackup: the storage check of the new set's id runs while the engine describes the source.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/Engine.js';
import { BackupError } from '../src/errors.js';
import { runBackup } from '../src/jobs/runBackup.js';
import { FsStorage } from '../src/storage/FsStorage.js';
import type { ObjectInfo } from '../src/storage/StorageBackend.js';

/** Resolves when `flag()` is true, polling every millisecond; rejects with `message` after 2 s. */
async function waitFor(flag: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!flag()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface Calls {
  described: boolean;
  listed: boolean;
  backedUp: boolean;
}

/** One unit `db`, one artifact; `describe` runs `onDescribe` first. */
function engine(calls: Calls, onDescribe: () => Promise<void>): Engine {
  return {
    name: 'tiny',
    async describe() {
      calls.described = true;
      await onDescribe();
      return { version: '1.0', metadata: {} };
    },
    async discover() {
      return [{ name: 'db', kind: 'database' }];
    },
    async backup(unit, sink) {
      calls.backedUp = true;
      await sink.write({
        name: 'db.txt',
        unit: unit.name,
        mediaType: 'text/plain',
        source: Readable.from([Buffer.from('hello\n')]),
      });
      return {};
    },
    async verify() {},
    async restore() {
      throw new BackupError('INTERNAL', 'not used');
    },
  };
}

/** FsStorage whose `list` marks `calls.listed`, then runs `onList` before listing. */
class WatchedStorage extends FsStorage {
  constructor(
    path: string,
    private readonly calls: Calls,
    private readonly onList: () => Promise<void>,
  ) {
    super({ path });
  }

  override async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.calls.listed = true;
    await this.onList();
    yield* super.list(prefix);
  }
}

async function allKeys(storage: FsStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('')) keys.push(object.key);
  return keys;
}

let dir: string;
let calls: Calls;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runbackup-'));
  calls = { described: false, listed: false, backedUp: false };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runBackup', () => {
  it("checks the new set's id in storage while the engine describes the source", async () => {
    // Each side waits for the other to have started: one after the other would time out.
    const storage = new WatchedStorage(dir, calls, () =>
      waitFor(() => calls.described, 'the storage list waited 2 s for describe'),
    );
    const manifest = await runBackup({
      job: 'tiny',
      engine: engine(calls, () => waitFor(() => calls.listed, 'describe waited 2 s for the storage list')),
      storage,
      compression: { algorithm: 'none' },
    });
    expect(manifest.artifacts.map((a) => a.name)).toEqual(['db.txt']);
    expect(calls.backedUp).toBe(true);
  });

  it('a storage failure during describe: its error, no unit backed up, nothing written', async () => {
    const storage = new WatchedStorage(dir, calls, async () => {
      throw new BackupError('STORAGE_UNREACHABLE', 'the bucket is gone');
    });
    const slowDescribe = () => new Promise<void>((r) => setTimeout(r, 100));
    await expect(
      runBackup({
        job: 'tiny',
        engine: engine(calls, slowDescribe),
        storage,
        compression: { algorithm: 'none' },
      }),
    ).rejects.toMatchObject({ code: 'STORAGE_UNREACHABLE', message: 'the bucket is gone' });
    expect(calls.backedUp).toBe(false);
    expect(await allKeys(new FsStorage({ path: dir }))).toEqual([]);
  });

  it('an engine failure during the storage check: its error, nothing written', async () => {
    const storage = new WatchedStorage(dir, calls, () => new Promise<void>((r) => setTimeout(r, 100)));
    const failing = async () => {
      throw new BackupError('SOURCE_FAILED', 'connection refused');
    };
    await expect(
      runBackup({ job: 'tiny', engine: engine(calls, failing), storage, compression: { algorithm: 'none' } }),
    ).rejects.toMatchObject({ code: 'SOURCE_FAILED' });
    expect(calls.backedUp).toBe(false);
    // Let the storage check finish: it must not write anything either.
    await new Promise((r) => setTimeout(r, 150));
    expect(await allKeys(new FsStorage({ path: dir }))).toEqual([]);
  });
});
