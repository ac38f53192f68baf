import { backupTsup } from '../../tooling/tsup.preset.ts';

// src/redisJobOptionsSchema.ts is `@backup/redis/options` (zod only), so @backup/config can validate
// a config without loading the engine and its client library.

export default backupTsup({ entry: ['src/index.ts', 'src/redisJobOptionsSchema.ts'] });
