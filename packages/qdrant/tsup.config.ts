import { backupTsup } from '../../tooling/tsup.preset.ts';

// src/qdrantJobOptionsSchema.ts is `@backup/qdrant/options` (zod only), so @backup/config can validate
// a config without loading the engine and its client library.

// `testing` (the spec-validated HTTP double) uses dev dependencies: left as imports, never bundled.
export default backupTsup({
  entry: ['src/index.ts', 'src/qdrantJobOptionsSchema.ts', 'src/testing.ts'],
  external: ['busboy', 'openapi-backend'],
});
