import { isBackupError } from '@backup/core';
import { describe, expect, it } from 'vitest';
import { createQdrantEngine, qdrantJobOptionsSchema } from '../src/index.js';

describe('qdrantJobOptionsSchema', () => {
  it('applies the documented defaults', () => {
    expect(qdrantJobOptionsSchema.parse({ url: 'http://qdrant.ai-platform:6333' })).toEqual({
      url: 'http://qdrant.ai-platform:6333',
      collections: 'all',
      exclude: [],
      mode: 'snapshot',
      deleteServerSnapshots: true,
      timeoutMs: 300_000,
      snapshotTimeoutMs: 21_600_000,
      retries: 3,
      retryDelayMs: 1000,
      batchSize: 256,
    });
  });

  it('rejects malformed keys with the field in the message', () => {
    const issues = (input: unknown) =>
      qdrantJobOptionsSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ url: 'qdrant:6333' })).toEqual(['url']);
    expect(issues({ nodes: [] })).toEqual(['nodes']);
    expect(issues({ url: 'http://q:6333', collections: [] })).toEqual(['collections']);
    expect(issues({ url: 'http://q:6333', mode: 'dump' })).toEqual(['mode']);
    expect(issues({ url: 'http://q:6333', batchSize: 0 })).toEqual(['batchSize']);
  });
});

describe('createQdrantEngine options', () => {
  it('throws CONFIG_INVALID for url and nodes together or neither, and for malformed values', () => {
    const invalid = (options: Parameters<typeof createQdrantEngine>[0], message: RegExp) => {
      let error: unknown;
      try {
        createQdrantEngine(options);
      } catch (e) {
        error = e;
      }
      expect(isBackupError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    };
    invalid({}, /exactly one of url/);
    invalid({ url: 'http://a:6333', nodes: ['http://b:6333'] }, /exactly one of url/);
    invalid({ url: 'ftp://a' }, /option url/);
    invalid({ url: 'http://a:6333', timeoutMs: -1 }, /option timeoutMs/);
    expect(createQdrantEngine({ url: 'https://qdrant.example.com/prefix' }).name).toBe('qdrant');
  });
});
