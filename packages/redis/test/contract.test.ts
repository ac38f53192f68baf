import { describeEngineContract } from '@backup/core/testing';
import { startRedis } from '@backup/test-services';
import { expect } from 'vitest';
import { createRedisEngine, type RedisRestoreOptions } from '../src/index.js';
import { digestServer, seedAllTypes } from './fixtures/data.js';

// The shared round trip for each mode: backup -> deep verify -> restore into an empty server ->
// identical digest (every type, 16 databases, binary keys, exact expiry times) -> TARGET_NOT_EMPTY
// -> replace: true -> a flipped byte in the largest artifact is a CHECKSUM_MISMATCH.
for (const variant of [
  { name: 'redis rdb (disk-based sync: $<len> transfer)', mode: 'rdb', disklessSync: false },
  { name: 'redis rdb (diskless sync: $EOF:<mark> transfer)', mode: 'rdb', disklessSync: true },
  { name: 'redis keys', mode: 'keys', disklessSync: false },
] as const) {
  describeEngineContract<RedisRestoreOptions>(variant.name, async () => {
    const source = await startRedis({ disklessSync: variant.disklessSync });
    const target = await startRedis();
    await seedAllTypes(source.url());
    return {
      engine: createRedisEngine({ url: source.url(), mode: variant.mode }),
      async snapshotSource() {
        const digest = await digestServer(source.url());
        expect(Object.keys(digest)).toHaveLength(16);
        expect(Object.keys(digest['db0']!).length).toBeGreaterThan(30);
        return digest;
      },
      restoreOptions: { targetUrl: target.url() },
      overwriteOptions: { targetUrl: target.url(), replace: true },
      snapshotTarget: () => digestServer(target.url()),
      async cleanup() {
        await Promise.all([source.stop(), target.stop()]);
      },
    };
  });
}
