import { describeEngineContract } from '@backup/core/testing';
import { startPostgres } from '@backup/test-services';
import { expect } from 'vitest';
import { createPostgresEngine, type PostgresRestoreOptions } from '../src/index.js';
import { digestDatabase, seedRichData, tableCount } from './fixtures/richData.js';

// The shared round trip: backup of `outline` (+ globals) -> deep verify -> restore into a new
// database `restored` -> identical digest -> TARGET_NOT_EMPTY -> force -> corruption detected.
describeEngineContract<PostgresRestoreOptions>('postgres', async () => {
  const server = await startPostgres();
  await seedRichData(server);
  return {
    engine: createPostgresEngine({ url: server.url(), databases: ['outline'] }),
    async snapshotSource() {
      const digest = await digestDatabase(server, 'outline');
      expect(tableCount(digest)).toBeGreaterThanOrEqual(3);
      return digest;
    },
    restoreOptions: { into: 'restored' },
    overwriteOptions: { into: 'restored', force: true },
    snapshotTarget: () => digestDatabase(server, 'restored'),
    cleanup: () => server.stop(),
  };
});
