import { backupTsup } from '../../tooling/tsup.preset.ts';

// `testing` (the spec-validated HTTP double) uses dev dependencies: left as imports, never bundled.
export default backupTsup({
  entry: ['src/index.ts', 'src/testing.ts'],
  external: ['busboy', 'openapi-backend'],
});
