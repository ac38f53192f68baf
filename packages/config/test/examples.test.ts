// Every config in examples/ is valid: it loads (YAML, ${ENV} interpolation, the zod schema of every
// engine's job) and each of its jobs builds an engine (the engines' own option checks, which the
// object schema cannot express, such as "exactly one of url / nodes"). Nothing connects anywhere.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEngine, loadEngine } from '../src/createEngine.js';
import { loadConfig } from '../src/loadConfig.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Values for the variables the examples reference without a default. */
const VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://backup:secret@db.example:5432/postgres',
  REDIS_URL: 'redis://:secret@redis.example:6379',
};

/** `${NAME}` references without a default, each given a value (URLs from VALUES, the rest a secret). */
function envFor(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const name = match[1]!;
    if (name.endsWith('_URL') && VALUES[name] === undefined) {
      throw new Error(`examples test: give ${name} a URL in VALUES`);
    }
    env[name] = VALUES[name] ?? `example-${name.toLowerCase()}`;
  }
  return env;
}

const files = (await readdir(EXAMPLES)).filter((f) => /\.ya?ml$/.test(f)).sort();

describe('examples/', () => {
  it('has an example per engine', () => {
    expect(files).toEqual(
      expect.arrayContaining(['neo4j.yaml', 'postgres-local.yaml', 'qdrant.yaml', 'redis.yaml']),
    );
  });

  it.each(files)('%s loads and every job builds its engine', async (file) => {
    const path = `${EXAMPLES}${file}`;
    const env = envFor(await readFile(path, 'utf8'));
    const { config } = await loadConfig({ path, env });
    expect(config.jobs.length).toBeGreaterThan(0);
    for (const job of config.jobs) {
      expect(createEngine(job, env).name).toBe(job.engine);
      const engine = await loadEngine(job, env);
      expect(engine.name).toBe(job.engine);
    }
  });

  it('the engine examples configure what their comments say', async () => {
    const load = async (file: string) =>
      (
        await loadConfig({
          path: `${EXAMPLES}${file}`,
          env: envFor(await readFile(`${EXAMPLES}${file}`, 'utf8')),
        })
      ).config;
    const redis = await load('redis.yaml');
    expect(redis.jobs.map((j) => [j.name, j.engine, 'mode' in j ? j.mode : undefined])).toEqual([
      ['redis', 'redis', 'rdb'],
      ['falkordb', 'redis', 'keys'],
    ]);
    const qdrant = await load('qdrant.yaml');
    expect(qdrant.storage).toMatchObject({ type: 's3', bucket: 'backrest', forcePathStyle: true });
    expect(qdrant.jobs.map((j) => [j.name, 'mode' in j ? j.mode : undefined])).toEqual([
      ['qdrant', 'snapshot'],
      ['qdrant-portable', 'export'],
    ]);
    const neo4j = await load('neo4j.yaml');
    expect(neo4j.jobs[0]).toMatchObject({
      engine: 'neo4j',
      user: 'neo4j',
      password: 'example-neo4j_password',
    });
  });
});
