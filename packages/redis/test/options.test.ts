import { isBackupError } from '@backup/core';
import { describe, expect, it } from 'vitest';
import {
  dbUnitName,
  endpointLabel,
  keysArtifactName,
  masterUnitName,
  parseClusterNodes,
  parseRedisUrl,
  rdbArtifactName,
  rdbVersionOfRedis,
  redisJobOptionsSchema,
} from '../src/index.js';

describe('redisJobOptionsSchema', () => {
  it('applies defaults and accepts the documented keys', () => {
    expect(redisJobOptionsSchema.parse({ url: 'redis://redis:6379' })).toEqual({
      url: 'redis://redis:6379',
      mode: 'rdb',
      cluster: false,
    });
    const full = redisJobOptionsSchema.parse({
      url: 'rediss://backup:pw@redis:6380',
      mode: 'keys',
      match: 'session:*',
      databases: [0, 3],
      cluster: false,
      tls: { caFile: '/tls/ca.crt', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
    });
    expect(full.tls).toEqual({
      caFile: '/tls/ca.crt',
      certFile: '/tls/tls.crt',
      keyFile: '/tls/tls.key',
      rejectUnauthorized: true,
    });
  });

  it('rejects wrong values with the field named', () => {
    const cases: Array<[unknown, string]> = [
      [{ url: 'postgres://x' }, 'url'],
      [{ url: 'redis://x', mode: 'aof' }, 'mode'],
      [{ url: 'redis://x', databases: [] }, 'databases'],
      [{ url: 'redis://x', databases: [-1] }, 'databases'],
      [{ url: 'redis://x', match: '' }, 'match'],
    ];
    for (const [input, field] of cases) {
      const result = redisJobOptionsSchema.safeParse(input);
      expect(result.success, JSON.stringify(input)).toBe(false);
      expect(result.error!.issues[0]!.path[0]).toBe(field);
    }
  });
});

describe('parseRedisUrl', () => {
  it('parses users, passwords, TLS, ports, databases and IPv6 hosts', () => {
    expect(parseRedisUrl('redis://localhost')).toEqual({
      host: 'localhost',
      port: 6379,
      username: undefined,
      password: undefined,
      tls: false,
      db: undefined,
    });
    expect(parseRedisUrl('rediss://back%40up:p%3Ass@10.0.0.1:6380/3')).toEqual({
      host: '10.0.0.1',
      port: 6380,
      username: 'back@up',
      password: 'p:ss',
      tls: true,
      db: 3,
    });
    expect(parseRedisUrl('redis://:only-pw@[::1]:7000')).toMatchObject({
      host: '::1',
      port: 7000,
      password: 'only-pw',
    });
    expect(endpointLabel(parseRedisUrl('redis://[::1]:7000'))).toBe('[::1]:7000');
  });

  it('rejects other schemes, query strings and bad databases without echoing the password', () => {
    for (const url of ['http://h', 'redis://:secret@h/x', 'redis://:secret@h?ssl=true', 'not a url']) {
      let caught: unknown;
      try {
        parseRedisUrl(url);
      } catch (error) {
        caught = error;
      }
      expect(isBackupError(caught, 'CONFIG_INVALID'), url).toBe(true);
      expect((caught as Error).message).not.toContain('secret');
    }
  });
});

describe('names and tables', () => {
  it('names units and artifacts', () => {
    expect(rdbArtifactName('instance')).toBe('dump.rdb');
    expect(masterUnitName('10.0.0.5', 6379)).toBe('master-10.0.0.5-6379');
    expect(masterUnitName('fe80::1', 6379)).toBe('master-fe80__1-6379');
    expect(rdbArtifactName('master-10.0.0.5-6379')).toBe('master-10.0.0.5-6379.rdb');
    expect(keysArtifactName(dbUnitName(4))).toBe('db4.keys.ndjson');
  });

  it('maps Redis releases to RDB versions (protocols.md 2.2)', () => {
    expect(rdbVersionOfRedis('7.0.15')).toBe(10);
    expect(rdbVersionOfRedis('7.2.4')).toBe(11);
    expect(rdbVersionOfRedis('7.4.0')).toBe(12);
    expect(rdbVersionOfRedis('8.4.1')).toBe(12);
    expect(rdbVersionOfRedis('8.6.0')).toBe(13);
    expect(rdbVersionOfRedis('8.8.0')).toBe(14);
    expect(rdbVersionOfRedis('6.2.14')).toBe(9);
    expect(rdbVersionOfRedis('99.0.0')).toBeUndefined();
  });

  it('parses CLUSTER NODES', () => {
    const text = [
      '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a replica e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
      'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-abc]',
      '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 :30002@31002 master,fail - 0 1426238316232 2 disconnected 5461 5462-10922',
    ].join('\n');
    const nodes = parseClusterNodes(text, 'fallback');
    expect(nodes.map((n) => [n.host, n.port, n.role, n.slots, n.connected])).toEqual([
      ['127.0.0.1', 30004, 'replica', [], true],
      ['127.0.0.1', 30001, 'master', [[0, 5460]], true],
      [
        'fallback',
        30002,
        'master',
        [
          [5461, 5461],
          [5462, 10922],
        ],
        false,
      ],
    ]);
    expect(nodes[0]!.masterId).toBe('e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca');
  });
});
