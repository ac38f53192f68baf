import { backupTsup } from '../../tooling/tsup.preset.ts';

// zod goes into dist/index.js (bundled); the types are index.d.ts (zod's own), so no dts here.
export default backupTsup({ entry: ['src/index.ts'], bundle: ['zod'], dts: false });
