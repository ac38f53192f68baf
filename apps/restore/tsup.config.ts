import { backupTsup } from '../../tooling/tsup.preset.ts';

export default backupTsup({
  entry: ['src/index.ts', 'src/bin.ts'],
  dtsEntry: ['src/index.ts'],
  versionGlobal: '__BACKUP_RESTORE_VERSION__',
  configUrl: import.meta.url,
});
