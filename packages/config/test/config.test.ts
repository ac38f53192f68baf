import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBackupError } from '@backup/core';
import { describe, expect, it } from 'vitest';
import { createStorage } from '../src/createStorage.js';
import { interpolateEnv } from '../src/interpolateEnv.js';
import { loadConfig, parseConfig } from '../src/loadConfig.js';
import { selectJobs } from '../src/selectJobs.js';

const ISSUE_EXAMPLE = `
storage:
  type: s3                 # or: type: fs + path: ./backups
  bucket: backrest
  prefix: agentic
  endpoint: http://garage.storage.svc:3900
  region: garage
  forcePathStyle: true
compression: zstd          # zstd | gzip | none
jobs:
  - name: postgresql
    engine: postgres
    url: \${DATABASE_URL}   # or the libpq environment variables
    databases: all         # or a list; \`exclude:\` a list
`;

async function withFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'config-test-'));
  try {
    const path = join(dir, 'backup.yaml');
    await writeFile(path, text);
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function codeAndMessage(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isBackupError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('loads the documented shape with ${ENV} interpolation and defaults', async () => {
    await withFile(ISSUE_EXAMPLE, async (path) => {
      const { config } = await loadConfig({ path, env: { DATABASE_URL: 'postgres://u:p@db:5432/postgres' } });
      expect(config.storage).toMatchObject({
        type: 's3',
        bucket: 'backrest',
        prefix: 'agentic',
        forcePathStyle: true,
      });
      expect(config.compression).toEqual({ algorithm: 'zstd' });
      expect(config.jobs[0]).toMatchObject({
        name: 'postgresql',
        engine: 'postgres',
        url: 'postgres://u:p@db:5432/postgres',
        databases: 'all',
        exclude: [],
        globals: true,
      });
    });
  });

  it('takes the path from BACKUP_CONFIG and resolves fs paths against the file', async () => {
    await withFile(
      'storage: { type: fs, path: ./repo }\njobs: [{ name: pg, engine: postgres }]\n',
      async (path) => {
        const { config } = await loadConfig({ env: { BACKUP_CONFIG: path } });
        expect(config.storage).toEqual({ type: 'fs', path: join(path, '..', 'repo') });
      },
    );
  });

  it('names the missing file and how to pass one', async () => {
    await expect(loadConfig({ path: '/nonexistent/backup.yaml', env: {} })).rejects.toThrow(
      /\/nonexistent\/backup\.yaml.*--config FILE or set BACKUP_CONFIG/,
    );
  });

  it('rejects YAML syntax errors with CONFIG_INVALID', async () => {
    await withFile('storage: [unclosed\n', async (path) => {
      await expect(loadConfig({ path, env: {} })).rejects.toSatisfy((e) =>
        isBackupError(e, 'CONFIG_INVALID'),
      );
    });
  });
});

describe('fs storage writes', () => {
  it('defaults to sync writes and passes writes: async to the backend', () => {
    const jobs = [{ name: 'pg', engine: 'postgres' }];
    const plain = parseConfig({ storage: { type: 'fs', path: '/x' }, jobs }, 'backup.yaml');
    const nfs = parseConfig({ storage: { type: 'fs', path: '/x', writes: 'async' }, jobs }, 'backup.yaml');
    expect(createStorage(plain.storage)).toMatchObject({ root: '/x', writes: 'sync' });
    expect(createStorage(nfs.storage)).toMatchObject({ root: '/x', writes: 'async' });
  });
});

describe('parseConfig field errors', () => {
  const base = { storage: { type: 'fs', path: '/x' }, jobs: [{ name: 'pg', engine: 'postgres' }] };
  it.each([
    [{ ...base, storage: { type: 'ftp' } }, 'storage.type'],
    [{ ...base, storage: { type: 's3' } }, 'storage.bucket'],
    [{ ...base, storage: { type: 's3', bucket: 'b', endpoint: 'not a url' } }, 'storage.endpoint'],
    [{ ...base, storage: { type: 'fs', path: '/x', writes: 'direct' } }, 'storage.writes'],
    [{ ...base, compression: 'lz4' }, 'compression'],
    [{ ...base, jobs: [] }, 'jobs'],
    [{ ...base, jobs: [{ name: 'a/b', engine: 'postgres' }] }, 'jobs[0].name'],
    [{ ...base, jobs: [{ name: 'pg', engine: 'oracle' }] }, 'jobs[0].engine'],
    [{ ...base, jobs: [{ name: 'pg', engine: 'postgres', databases: 42 }] }, 'jobs[0].databases'],
    [
      {
        ...base,
        jobs: [
          { name: 'pg', engine: 'postgres' },
          { name: 'pg', engine: 'postgres' },
        ],
      },
      'jobs[1].name',
    ],
  ])('%j -> %s', (input, field) => {
    const { code, message } = codeAndMessage(() => parseConfig(input, 'backup.yaml'));
    expect(code).toBe('CONFIG_INVALID');
    expect(message).toContain(`backup.yaml: ${field}:`);
  });
});

describe('interpolateEnv', () => {
  it('replaces variables, applies defaults and keeps $$ literal', () => {
    expect(interpolateEnv({ a: '${X}', b: ['${Y:-dflt}'], c: 'cost $$5', d: 3 }, { X: 'x-value' })).toEqual({
      a: 'x-value',
      b: ['dflt'],
      c: 'cost $5',
      d: 3,
    });
  });

  it('does not let a value change the YAML structure', () => {
    expect(interpolateEnv({ url: '${U}' }, { U: 'a: b\n- c' })).toEqual({ url: 'a: b\n- c' });
  });

  it('names the variable and the field when unset', () => {
    const { code, message } = codeAndMessage(() =>
      interpolateEnv({ jobs: [{ url: '${DATABASE_URL}' }] }, {}),
    );
    expect(code).toBe('CONFIG_INVALID');
    expect(message).toContain('jobs[0].url');
    expect(message).toContain('DATABASE_URL');
  });
});

describe('selectJobs', () => {
  const config = parseConfig({
    storage: { type: 'fs', path: '/x' },
    jobs: [
      { name: 'a', engine: 'postgres' },
      { name: 'b', engine: 'postgres' },
    ],
  });
  it('returns all jobs or the named ones, and rejects unknown names', () => {
    expect(selectJobs(config).map((j) => j.name)).toEqual(['a', 'b']);
    expect(selectJobs(config, ['b']).map((j) => j.name)).toEqual(['b']);
    expect(() => selectJobs(config, ['c'])).toThrow(/Unknown job "c"; configured jobs: a, b/);
  });
});

describe('every engine from one config', () => {
  const config = parseConfig({
    storage: { type: 'fs', path: '/x' },
    jobs: [
      { name: 'postgresql', engine: 'postgres', url: 'postgres://u:p@db:5432/postgres' },
      {
        name: 'postgresql-wal',
        engine: 'postgres',
        mode: 'physical',
        url: 'postgres://u:p@db:5432/postgres',
      },
      { name: 'redis', engine: 'redis', url: 'redis://redis:6379', mode: 'keys', match: 'session:*' },
      { name: 'qdrant', engine: 'qdrant', url: 'http://qdrant:6333', collections: ['runbooks'] },
      { name: 'neo4j', engine: 'neo4j', uri: 'bolt://neo4j:7687', user: 'neo4j', password: 'secret' },
    ],
  });

  it('builds the matching engine for each job, passing the engine keys through', async () => {
    const { createEngine } = await import('../src/createEngine.js');
    expect(config.jobs.map((j) => createEngine(j, {}).name)).toEqual([
      'postgres',
      'postgres',
      'redis',
      'qdrant',
      'neo4j',
    ]);
    expect(config.jobs[2]).toMatchObject({ mode: 'keys', match: 'session:*', cluster: false });
    // Only the physical PostgreSQL engine prunes WAL outside backup sets.
    expect(config.jobs.map((j) => typeof createEngine(j, {}).pruneExtra)).toEqual([
      'undefined',
      'function',
      'undefined',
      'undefined',
      'undefined',
    ]);
    expect(config.jobs[3]).toMatchObject({
      mode: 'snapshot',
      deleteServerSnapshots: true,
      collections: ['runbooks'],
    });
  });

  it('loads the engine package on the first call and delegates to it', async () => {
    const { createEngine, loadEngine } = await import('../src/createEngine.js');
    const { isBackupError } = await import('@backup/core');
    // Nothing listens on port 1: the real Redis engine's describe() fails with SOURCE_FAILED.
    const job = config.jobs[2]!;
    const lazy = createEngine({ ...job, url: 'redis://127.0.0.1:1' } as typeof job, {});
    const ctx = { signal: new AbortController().signal, logger: (await import('@backup/core')).silentLogger };
    await expect(lazy.describe(ctx)).rejects.toSatisfy((e) => isBackupError(e, 'SOURCE_FAILED'));
    const real = await loadEngine(job, {});
    expect(Object.keys(lazy).sort()).toEqual(
      ['name', 'describe', 'discover', 'backup', 'verify', 'restore'].sort(),
    );
    expect(typeof real.describe).toBe('function');
  });

  it.each([
    [{ name: 'r', engine: 'redis', url: 'http://redis:6379' }, 'jobs[0].url'],
    [{ name: 'r', engine: 'redis', url: 'redis://r', mode: 'aof' }, 'jobs[0].mode'],
    [{ name: 'q', engine: 'qdrant', url: 'http://q:6333', mode: 'tarball' }, 'jobs[0].mode'],
    [{ name: 'n', engine: 'neo4j', uri: 'http://neo4j:7474' }, 'jobs[0].uri'],
  ])('%j -> %s', (job, field) => {
    const { code, message } = codeAndMessage(() =>
      parseConfig({ storage: { type: 'fs', path: '/x' }, jobs: [job] }, 'backup.yaml'),
    );
    expect(code).toBe('CONFIG_INVALID');
    expect(message).toContain(`backup.yaml: ${field}:`);
  });
});
