import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const redisDist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// A backup's clock starts with the process: what is not needed before SYNC loads later. Loading
// node:crypto, node:zlib and node:child_process took ~14 ms here (Node 24.21); the pipeline loads
// them on first use (process.getBuiltinModule), once the server is already producing the RDB.
it('importing @backup/redis (and @backup/core) loads no node:crypto, node:zlib, node:child_process or node:tls', async () => {
  const script = `
    await import(${JSON.stringify(redisDist)});
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule '))));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  const loaded = (JSON.parse(stdout.trim()) as string[]).map((m) => m.slice('NativeModule '.length));
  expect(loaded).toContain('net'); // the check itself works: the replication socket's module is there
  for (const lazy of ['crypto', 'zlib', 'child_process', 'tls']) expect(loaded).not.toContain(lazy);
});
