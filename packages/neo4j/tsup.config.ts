import { backupTsup } from '../../tooling/tsup.preset.ts';

export default backupTsup({ entry: ['src/index.ts', 'src/testing.ts'] });
