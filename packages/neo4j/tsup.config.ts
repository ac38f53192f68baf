import { backupTsup } from '../../tooling/tsup.preset.ts';

// src/neo4jJobOptionsSchema.ts is `@backup/neo4j/options` (zod only), so @backup/config can validate
// a config without loading the engine and its client library.

export default backupTsup({ entry: ['src/index.ts', 'src/neo4jJobOptionsSchema.ts', 'src/testing.ts'] });
