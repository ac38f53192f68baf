import { backupProject } from '../../tooling/vitest.preset.ts';

export default backupProject('@backup/zod');
