import { backupProject } from '../../tooling/vitest.preset.ts';

export default backupProject('@backup/neo4j');
