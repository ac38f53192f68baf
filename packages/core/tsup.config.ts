import { backupTsup } from '../../tooling/tsup.preset.ts';

export default backupTsup({
  entry: ['src/index.ts', 'src/testing.ts', 'src/exposeGc.ts'],
  external: ['vitest'],
  versionGlobal: '__BACKUP_CORE_VERSION__',
  configUrl: import.meta.url,
});
