import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBackupError } from '@backup/core';
import { expect, it } from 'vitest';
import * as source from '../src/index.js';

// dist/index.js holds yaml's ES module build (tsup.config.ts): the built package must read YAML
// as the source (with yaml's CommonJS build, under vitest) does, errors included.
const distPath = fileURLToPath(new URL('../dist/index.js', import.meta.url));

it('dist/index.js has yaml bundled: no import or require of yaml at run time', async () => {
  const code = await readFile(distPath, 'utf8');
  expect(code).not.toMatch(/from\s*["']yaml["']/);
  expect(code).not.toMatch(/require\(\s*["']yaml/);
  expect(code).toContain('parseDocument');
});

it('the built package loads configs and reports YAML errors as the source does', async () => {
  const dist = (await import(distPath)) as typeof source;
  const dir = await mkdtemp(join(tmpdir(), 'config-bundle-'));
  try {
    const good = join(dir, 'good.yaml');
    await writeFile(
      good,
      'storage: { type: fs, path: ./b }\ncompression: zstd\njobs:\n  - name: r\n    engine: redis\n    url: ${REDIS_URL}\n    mode: rdb # comment\n',
    );
    const env = { REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(await dist.loadConfig({ path: good, env })).toEqual(await source.loadConfig({ path: good, env }));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'storage:\n  type: fs\n  path: [unclosed\njobs: []\n');
    const message = async (load: typeof source.loadConfig) => {
      try {
        await load({ path: bad, env: {} });
      } catch (error) {
        if (isBackupError(error, 'CONFIG_INVALID')) return error.message;
        throw error;
      }
      throw new Error('expected CONFIG_INVALID');
    };
    const fromDist = await message(dist.loadConfig);
    expect(fromDist).toContain('is not valid YAML');
    expect(fromDist).toEqual(await message(source.loadConfig));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
