import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { backupTsup } from '../../tooling/tsup.preset.ts';

// yaml goes into dist/index.js, from its ES module build (`yaml/browser/index.js`: the same code
// as its CommonJS `node` build, without Node-only warnings). Importing yaml's CommonJS build
// loads ~60 files: 41-49 ms per start of the bins; bundled, 14-16 ms (Node 24.21, compile cache
// warm, 3 runs each; docs/performance.md, "Start-up").
const yamlRoot = dirname(createRequire(import.meta.url).resolve('yaml/package.json'));

export default backupTsup({
  entry: ['src/index.ts'],
  bundle: ['yaml'],
  alias: { yaml: join(yamlRoot, 'browser/index.js') },
});
