import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackupError } from '../errors.js';
import type { StorageBackend } from '../storage/StorageBackend.js';

/** What a storage contract run needs: a fresh, empty backend and a way to tear it down. */
export interface StorageContractFixture {
  storage: StorageBackend;
  /** Called once after the suite. */
  cleanup?: () => Promise<void>;
}

async function collect(storage: StorageBackend, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list(prefix)) keys.push(o.key);
  return keys.sort();
}

function failingStream(after: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(after);
      } else {
        this.destroy(new Error('source died midway'));
      }
    },
  });
}

/**
 * The ONE suite every `StorageBackend` must pass (as unstorage runs one suite over all drivers).
 * Call it inside a vitest file with a factory that returns an empty backend:
 * `describeStorageContract('fs', async () => ({ storage: new FsStorage({ path: dir }) }))`.
 * Checks: round trip of strings, bytes and multi-MiB streams; ranges; head; recursive list by
 * prefix; delete (missing keys ok); NOT_FOUND on get; a failed or aborted put leaves no object and
 * does not replace an existing one; createExclusive is exclusive, also under concurrency.
 */
export function describeStorageContract(name: string, factory: () => Promise<StorageContractFixture>): void {
  describe(`StorageBackend contract: ${name}`, () => {
    let fixture: StorageContractFixture;
    let storage: StorageBackend;
    beforeAll(async () => {
      fixture = await factory();
      storage = fixture.storage;
    });
    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    it('stores and reads back a string, bytes and a stream', async () => {
      await storage.put('rt/a.txt', 'hello');
      await storage.put('rt/b.bin', new Uint8Array([0, 1, 2, 255]));
      const big = randomBytes(12 * 1024 * 1024 + 17);
      const chunks = Array.from({ length: 13 }, (_, i) =>
        big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024),
      );
      const result = await storage.put('rt/c/big.bin', Readable.from(chunks));
      expect(result.size).toBe(big.length);
      expect((await buffer(await storage.get('rt/a.txt'))).toString()).toBe('hello');
      expect([...(await buffer(await storage.get('rt/b.bin')))]).toEqual([0, 1, 2, 255]);
      expect((await buffer(await storage.get('rt/c/big.bin'))).equals(big)).toBe(true);
    });

    it('reports head and reads ranges', async () => {
      await storage.put('range/x', '0123456789');
      const info = await storage.head('range/x');
      expect(info?.size).toBe(10);
      expect(info?.key).toBe('range/x');
      expect(info?.lastModified).toBeInstanceOf(Date);
      expect(await storage.head('range/missing')).toBeUndefined();
      if (storage.capabilities.rangeRead) {
        expect((await buffer(await storage.get('range/x', { range: { start: 2, end: 4 } }))).toString()).toBe(
          '234',
        );
        expect((await buffer(await storage.get('range/x', { range: { start: 7 } }))).toString()).toBe('789');
      }
    });

    it('replaces an object on put', async () => {
      await storage.put('replace/k', 'one');
      await storage.put('replace/k', 'two');
      expect((await buffer(await storage.get('replace/k'))).toString()).toBe('two');
    });

    it('throws NOT_FOUND for a missing key', async () => {
      await expect(storage.get('nope/none')).rejects.toSatisfy((e) => isBackupError(e, 'NOT_FOUND'));
    });

    it('lists recursively by prefix, without siblings that share a name prefix', async () => {
      await storage.put('list/a/1', '1');
      await storage.put('list/a/2/3', '3');
      await storage.put('list/ab/4', '4');
      expect(await collect(storage, 'list/a/')).toEqual(['list/a/1', 'list/a/2/3']);
      expect(await collect(storage, 'list/')).toEqual(['list/a/1', 'list/a/2/3', 'list/ab/4']);
      expect(await collect(storage, 'list/zzz/')).toEqual([]);
      const sizes = [];
      for await (const o of storage.list('list/ab/')) sizes.push(o.size);
      expect(sizes).toEqual([1]);
    });

    it('deletes keys, ignoring missing ones', async () => {
      await storage.put('del/1', '1');
      await storage.put('del/2', '2');
      await storage.delete(['del/1', 'del/2', 'del/missing']);
      expect(await collect(storage, 'del/')).toEqual([]);
    });

    it('deletes more than 1000 keys in one call', async () => {
      const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((k) => storage.put(k, 'x')));
      }
      expect((await collect(storage, 'many/')).length).toBe(1005);
      await storage.delete(keys);
      expect(await collect(storage, 'many/')).toEqual([]);
    });

    it('leaves no object when the body stream fails midway', async () => {
      await expect(storage.put('fail/new', failingStream(randomBytes(6 * 1024 * 1024)))).rejects.toThrow();
      expect(await storage.head('fail/new')).toBeUndefined();
      expect(await collect(storage, 'fail/')).toEqual([]);
    });

    it('does not replace an existing object when a put fails', async () => {
      await storage.put('fail2/keep', 'original');
      await expect(storage.put('fail2/keep', failingStream(randomBytes(1024)))).rejects.toThrow();
      expect((await buffer(await storage.get('fail2/keep'))).toString()).toBe('original');
    });

    it('leaves no object when the put is aborted', async () => {
      const controller = new AbortController();
      const source = new Readable({ read() {} });
      source.push(randomBytes(1024 * 1024));
      const pending = storage.put('abort/x', source, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(pending).rejects.toThrow();
      expect(await storage.head('abort/x')).toBeUndefined();
    });

    it('creates exclusively: the second create of a key fails and changes nothing', async () => {
      expect(await storage.createExclusive('lock/a', 'first')).toBe(true);
      expect(await storage.createExclusive('lock/a', 'second')).toBe(false);
      expect((await buffer(await storage.get('lock/a'))).toString()).toBe('first');
    });

    it('lets exactly one of many concurrent exclusive creates win', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => storage.createExclusive('lock/race', `writer-${i}`)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await buffer(await storage.get('lock/race'))).toString()).toBe(`writer-${winner}`);
    });

    it('rejects unsafe keys', async () => {
      await expect(storage.put('../escape', 'x')).rejects.toSatisfy((e) =>
        isBackupError(e, 'CONFIG_INVALID'),
      );
    });
  });
}
