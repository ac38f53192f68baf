import { describe, expect, it } from 'vitest';
import { postgresJobOptionsSchema } from '../src/index.js';

describe('postgresJobOptionsSchema', () => {
  it('applies the defaults', () => {
    expect(postgresJobOptionsSchema.parse({})).toEqual({ databases: 'all', exclude: [], globals: true });
  });

  it('accepts a full job', () => {
    const job = {
      url: 'postgres://backup@postgresql.ai-platform:5432/postgres',
      databases: ['outline', 'langgraph'],
      exclude: ['scratch'],
      globals: false,
      binDir: '/usr/lib/postgresql/16/bin',
    };
    expect(postgresJobOptionsSchema.parse(job)).toEqual(job);
  });

  it('rejects malformed keys with a path', () => {
    const result = postgresJobOptionsSchema.safeParse({ databases: [], url: 'mysql://x', globals: 'yes' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['databases', 'globals', 'url']);
    expect(postgresJobOptionsSchema.safeParse({ databases: 'some' }).success).toBe(false);
  });
});
