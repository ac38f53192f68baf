import { isBackupError } from '@backup/core';
import { describe, expect, it } from 'vitest';
import {
  createDriver,
  createNeo4jEngine,
  type Neo4jEngineOptions,
  neo4jJobOptionsSchema,
} from '../src/index.js';
import { Neo4jDouble } from '../src/testing/Neo4jDouble.js';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isBackupError(error, 'CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('createNeo4jEngine options', () => {
  it('names the bad field', () => {
    const cases: [unknown, string][] = [
      [{}, 'uri'],
      [{ uri: 'http://neo4j:7474' }, 'uri'],
      [{ uri: 'bolt://x', password: 'p' }, 'user'],
      [{ uri: 'bolt://x', databases: [] }, 'databases'],
      [{ uri: 'bolt://x', databases: 'some' }, 'databases'],
      [{ uri: 'bolt://x', pageSize: 0 }, 'pageSize'],
      [{ uri: 'bolt://x', pageSize: 2_000_000 }, 'pageSize'],
      [{ uri: 'bolt://x', tls: { trust: 'everyone' } }, 'tls.trust'],
      [{ uri: 'bolt://x', driver: {} }, 'driver'],
    ];
    for (const [options, field] of cases) {
      expect(configError(() => createNeo4jEngine(options as Neo4jEngineOptions))).toContain(
        `option ${field} `,
      );
    }
  });

  it('accepts an injected driver without a uri', () => {
    expect(createNeo4jEngine({ driver: new Neo4jDouble().driver() }).name).toBe('neo4j');
  });
});

describe('createDriver', () => {
  it('builds a lazy neo4j-driver Driver for valid settings', async () => {
    const driver = createDriver({
      uri: 'bolt://127.0.0.1:1',
      user: 'neo4j',
      password: 'x',
      tls: { encrypted: false },
    });
    expect(typeof driver.session).toBe('function');
    await driver.close();
  });

  it('refuses TLS options with a +s scheme, custom trust without CAs, and other schemes', () => {
    expect(configError(() => createDriver({ uri: 'neo4j+s://db:7687', tls: { encrypted: true } }))).toContain(
      'cannot be combined with the neo4j+s:// scheme',
    );
    expect(
      configError(() => createDriver({ uri: 'bolt://db', tls: { encrypted: true, trust: 'custom' } })),
    ).toContain('trustedCertificates');
    expect(configError(() => createDriver({ uri: 'https://db' }))).toContain('must start with neo4j://');
  });
});

describe('neo4jJobOptionsSchema', () => {
  it('applies the defaults', () => {
    expect(neo4jJobOptionsSchema.parse({ uri: 'neo4j://neo4j.ai-platform:7687' })).toEqual({
      uri: 'neo4j://neo4j.ai-platform:7687',
      databases: 'all',
      pageSize: 10_000,
    });
  });

  it('accepts a full job', () => {
    const job = {
      uri: 'bolt://neo4j:7687',
      user: 'neo4j',
      password: 'secret',
      databases: ['neo4j', 'agents'],
      pageSize: 500,
      tls: { encrypted: true, trust: 'custom' as const, trustedCertificates: ['/etc/ca.crt'] },
    };
    expect(neo4jJobOptionsSchema.parse(job)).toEqual(job);
  });

  it('rejects malformed keys with a path', () => {
    const result = neo4jJobOptionsSchema.safeParse({
      uri: 'http://neo4j:7474',
      databases: [],
      pageSize: 0,
      tls: { trust: 'x', extra: 1 },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'databases',
      'pageSize',
      'tls',
      'tls.trust',
      'uri',
    ]);
  });
});
