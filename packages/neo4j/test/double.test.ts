import { int, isInt, Neo4jError } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import {
  createNodesQuery,
  NODE_PAGE_BY_ELEMENT_ID_QUERY,
  NODE_PAGE_BY_ID_QUERY,
  SERVER_INFO_QUERY,
} from '../src/index.js';
import { Neo4jDouble } from '../src/testing/Neo4jDouble.js';

// The double is only worth its tests if it refuses what a server refuses.

async function error(promise: PromiseLike<unknown>): Promise<Neo4jError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof Neo4jError) return e;
    throw e;
  }
  throw new Error('expected a Neo4jError');
}

describe('Neo4jDouble', () => {
  it('refuses a query text it does not know', async () => {
    const session = new Neo4jDouble().driver().session();
    const e = await error(session.run('MATCH (n) RETURN n'));
    expect(e.code).toBe('Neo.ClientError.Statement.SyntaxError');
    expect(e.message).toContain('does not know this query');
  });

  it('answers with the driver Record class and Integer values', async () => {
    const { records } = await new Neo4jDouble().driver().session().run(SERVER_INFO_QUERY);
    expect(records[0]!.keys).toEqual(['name', 'versions', 'edition', 'integerProbe']);
    expect(isInt(records[0]!.get('integerProbe'))).toBe(true);
    const lossy = await new Neo4jDouble()
      .driver({ disableLosslessIntegers: true })
      .session()
      .run(SERVER_INFO_QUERY);
    expect(lossy.records[0]!.get('integerProbe')).toBe(1);
  });

  it('refuses a LIMIT that is not an Integer, as the server does with a float', async () => {
    const session = new Neo4jDouble().driver().session();
    const e = await error(
      session.executeRead(async (tx) => tx.run(NODE_PAGE_BY_ELEMENT_ID_QUERY, { after: '', limit: 10 })),
    );
    expect(e.code).toBe('Neo.ClientError.Statement.ArgumentError');
  });

  it('refuses writes in read transactions and rolls a failed transaction back', async () => {
    const server = new Neo4jDouble();
    const session = server.driver().session();
    const rows = [{ id: 'a', properties: { n: int(1) } }];
    const e = await error(session.executeRead(async (tx) => tx.run(createNodesQuery(['A']), { rows })));
    expect(e.code).toBe('Neo.ClientError.Statement.AccessMode');
    const failing = session.executeWrite(async (tx) => {
      await tx.run(createNodesQuery(['A']), { rows });
      throw new Error('work failed');
    });
    await expect(failing).rejects.toThrow('work failed');
    expect(server.graph('neo4j').nodes.size).toBe(0);
  });

  it('refuses property values a server cannot store', async () => {
    const session = new Neo4jDouble().driver().session();
    for (const value of [{ nested: 1 }, [int(1), 1.5], [[int(1)]], [new Int8Array([1])], null, [null]]) {
      const e = await error(
        session.executeWrite(async (tx) =>
          tx.run(createNodesQuery([]), { rows: [{ id: 'x', properties: { p: value } }] }),
        ),
      );
      expect(e.code).toBe('Neo.ClientError.Statement.TypeError');
    }
  });

  it('has no elementId() before Neo4j 5 and answers SHOW with the 4.4 columns', async () => {
    const session = new Neo4jDouble({ version: '4.4.40' }).driver().session();
    const e = await error(
      session.executeRead(async (tx) => tx.run(NODE_PAGE_BY_ELEMENT_ID_QUERY, { after: '', limit: int(1) })),
    );
    expect(e.message).toContain("Unknown function 'elementId'");
    await expect(
      session.executeRead(async (tx) => tx.run(NODE_PAGE_BY_ID_QUERY, { after: int(-1), limit: int(1) })),
    ).resolves.toBeDefined();
    const { records } = await session.run('SHOW INDEXES YIELD *');
    expect(records[0]!.has('uniqueness')).toBe(true);
    expect(records[0]!.has('owningConstraint')).toBe(false);
  });

  it('refuses duplicate schema names, a second lookup index, and Enterprise constraints on Community', async () => {
    const session = new Neo4jDouble({ edition: 'community' }).driver().session();
    await session.run('CREATE RANGE INDEX `i` FOR (n:`A`) ON (n.`p`)');
    expect((await error(session.run('CREATE TEXT INDEX `i` FOR (n:`B`) ON (n.`q`)'))).code).toBe(
      'Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists',
    );
    expect((await error(session.run('CREATE LOOKUP INDEX `other` FOR (n) ON EACH labels(n)'))).code).toBe(
      'Neo.ClientError.Schema.IndexAlreadyExists',
    );
    expect(
      (await error(session.run('CREATE CONSTRAINT `k` FOR (n:`A`) REQUIRE (n.`p`, n.`q`) IS NODE KEY'))).code,
    ).toBe('Neo.DatabaseError.Schema.ConstraintCreationFailed');
  });

  it('refuses CREATE DATABASE on Community and outside the system database', async () => {
    const community = new Neo4jDouble({ edition: 'community' }).driver();
    expect(
      (await error(community.session({ database: 'system' }).run('CREATE DATABASE `x` IF NOT EXISTS WAIT')))
        .code,
    ).toBe('Neo.ClientError.Statement.UnsupportedAdministrationCommand');
    const enterprise = new Neo4jDouble().driver();
    expect((await error(enterprise.session().run('CREATE DATABASE `x` IF NOT EXISTS WAIT'))).code).toBe(
      'Neo.ClientError.Statement.NotSystemDatabaseError',
    );
  });
});
