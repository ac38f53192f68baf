import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FsStorage } from '../src/storage/FsStorage.js';
import { describeStorageContract } from '../src/testing/describeStorageContract.js';

let dir = '';
describeStorageContract('fs', async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-contract-'));
  return { storage: new FsStorage({ path: dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// The same contract with writes on the thread pool (the option for network file systems).
describeStorageContract('fs, writes: async', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fs-contract-async-'));
  return {
    storage: new FsStorage({ path: root, writes: 'async' }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

it('writes synchronously by default and refuses an unknown write mode (CONFIG_INVALID)', () => {
  expect(new FsStorage({ path: '/x' }).writes).toBe('sync');
  expect(() => new FsStorage({ path: '/x', writes: 'direct' as 'sync' })).toThrow(
    expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('storage.writes') }),
  );
});

it('leaves no temp files and prunes empty directories after deletes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fs-extra-'));
  const storage = new FsStorage({ path: root });
  await storage.put('job/20260101-000000/a', 'x');
  await storage.createExclusive('job/locks/l', 'y');
  await storage.delete(['job/20260101-000000/a', 'job/locks/l']);
  expect(await readdir(root)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});
