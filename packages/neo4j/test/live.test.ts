import { describeEngineContract } from '@backup/core/testing';
import {
  Date as CypherDate,
  DateTime,
  Duration,
  Integer,
  int,
  LocalDateTime,
  LocalTime,
  Point,
  Time,
} from 'neo4j-driver';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDriver,
  createNeo4jEngine,
  decodeGraphValue,
  encodeGraphValue,
  type GraphValue,
  type Neo4jDriverLike,
  type Neo4jRestoreOptions,
  parseExactJson,
  quoteIdentifier,
  readServerInfo,
} from '../src/index.js';
import { canonical, canonicalProperties } from './fixtures/canonical.js';
import { type GraphSpec, richGraph } from './fixtures/richGraph.js';

// The same suites against a real Neo4j, when NEO4J_URI is set (none can be installed on the CI
// machines). Point it at a THROWAWAY server: the contract seeds NEO4J_DATABASE (default neo4j,
// which must be empty) and restores into NEO4J_TARGET_DATABASE (default backup_live_target,
// created on Enterprise) or into NEO4J_TARGET_URI's database; both are emptied afterwards.
const uri = process.env['NEO4J_URI'];
const user = process.env['NEO4J_USER'];
const password = process.env['NEO4J_PASSWORD'];
const sourceDb = process.env['NEO4J_DATABASE'] ?? 'neo4j';
const targetUri = process.env['NEO4J_TARGET_URI'];
const targetDb = process.env['NEO4J_TARGET_DATABASE'] ?? (targetUri ? 'neo4j' : 'backup_live_target');
const skipped = uri === undefined ? ' (skipped: set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD to run)' : '';

const connect = (at: string) => createDriver({ uri: at, user, password });

describe.skipIf(uri === undefined)(`live Neo4j at NEO4J_URI${skipped}`, () => {
  const driver = uri === undefined ? undefined : connect(uri);
  afterAll(() => driver?.close());

  it('stores every property type and reads it back; the codec round-trips what the server returns', async () => {
    const values: Record<string, GraphValue> = {
      intMax: Integer.MAX_VALUE,
      intMin: Integer.MIN_VALUE,
      beyond53: int('9007199254740993'),
      float: 0.1,
      negativeZero: -0,
      nan: Number.NaN,
      infinity: -Infinity,
      date: new CypherDate(int(-1), int(12), int(31)),
      localTime: new LocalTime(int(23), int(59), int(59), int(999999999)),
      time: new Time(int(12), int(0), int(0), int(1), int(-(5 * 3600 + 30 * 60 + 15))),
      localDateTime: new LocalDateTime(int(2024), int(2), int(29), int(1), int(2), int(3), int(4)),
      zonedNamed: new DateTime(
        int(2015),
        int(7),
        int(4),
        int(19),
        int(32),
        int(24),
        int(5),
        undefined,
        'Europe/Berlin',
      ),
      zonedOffset: new DateTime(int(2015), int(7), int(4), int(19), int(32), int(24), int(5), int(-12600)),
      duration: new Duration(int(-14), int(3), int(-1), int(999999999)),
      cartesian: new Point(int(7203), 1.5, -2),
      cartesian3d: new Point(int(9157), 1, 2, 3),
      wgs: new Point(int(4326), 13.4, 52.5),
      wgs3d: new Point(int(4979), 13.4, 52.5, 34),
      bytes: new Int8Array([-128, 0, 127]),
      ints: [int(1), Integer.MAX_VALUE],
      points: [new Point(int(4326), 1, 2)],
      datetimes: [new DateTime(int(2020), int(1), int(1), int(0), int(0), int(0), int(0), int(0))],
      empty: [],
    };
    const session = driver!.session({ database: sourceDb });
    try {
      const { records } = await session.executeWrite(async (tx) =>
        tx.run('CREATE (n:`__BackupLiveProbe`) SET n = $values RETURN properties(n) AS properties', {
          values,
        }),
      );
      const stored = records[0]!.get('properties') as Record<string, GraphValue>;
      for (const [key, value] of Object.entries(stored)) {
        const text = JSON.stringify(encodeGraphValue(value));
        const back = decodeGraphValue(parseExactJson(text, key) as never, key);
        expect(canonical(back), key).toBe(canonical(value));
      }
      for (const key of [
        'intMax',
        'intMin',
        'beyond53',
        'negativeZero',
        'nan',
        'bytes',
        'duration',
        'wgs3d',
      ] as const) {
        expect(canonical(stored[key]), key).toBe(canonical(values[key]));
      }
    } finally {
      await session.executeWrite(async (tx) => tx.run('MATCH (n:`__BackupLiveProbe`) DELETE n'));
      await session.close();
    }
  });
});

if (uri !== undefined) {
  describeEngineContract<Neo4jRestoreOptions>(
    `neo4j live (${sourceDb} -> ${targetUri ?? uri}/${targetDb})`,
    async () => {
      const source = connect(uri);
      const target = targetUri ? connect(targetUri) : source;
      const info = await readServerInfo(source);
      const targetInfo = await readServerInfo(target);
      if (!targetUri && targetInfo.edition !== 'enterprise') {
        throw new Error(
          'The live contract on Community Edition needs NEO4J_TARGET_URI (a second, empty server)',
        );
      }
      if ((await count(source, sourceDb)) > 0) {
        throw new Error(
          `The live contract needs an empty NEO4J_DATABASE (${sourceDb}): it seeds and empties it`,
        );
      }
      await seedLive(
        source,
        sourceDb,
        richGraph({ people: 30, enterprise: info.edition === 'enterprise', major: info.major }),
      );
      const options: Neo4jRestoreOptions = {
        database: targetDb,
        batchSize: 7,
        transactionSize: 20,
        ...(targetUri ? { targetUri } : {}),
      };
      return {
        engine: createNeo4jEngine({ uri, user, password, databases: [sourceDb], pageSize: 11 }),
        snapshotSource: () => digestLive(source, sourceDb),
        restoreOptions: options,
        overwriteOptions: { ...options, force: true },
        snapshotTarget: () => digestLive(target, targetDb),
        async cleanup() {
          await empty(source, sourceDb);
          await empty(target, targetDb);
          await source.close();
          if (target !== source) await target.close();
        },
      };
    },
  );
}

async function count(driver: Neo4jDriverLike, database: string): Promise<number> {
  const session = driver.session({ database });
  try {
    const { records } = await session.run('MATCH (n) RETURN count(n) AS n');
    return (records[0]!.get('n') as Integer).toNumber();
  } finally {
    await session.close();
  }
}

async function seedLive(driver: Neo4jDriverLike, database: string, spec: GraphSpec): Promise<void> {
  const session = driver.session({ database });
  try {
    const ids = new Map<string, unknown>();
    for (const node of spec.nodes) {
      const labels = node.labels.map((l) => `:${quoteIdentifier(l)}`).join('');
      const { records } = await session.run(`CREATE (n${labels}) SET n = $properties RETURN id(n) AS id`, {
        properties: node.properties,
      });
      ids.set(node.key, records[0]!.get('id'));
    }
    for (const r of spec.relationships) {
      await session.run(
        `MATCH (a), (b) WHERE id(a) = $a AND id(b) = $b CREATE (a)-[r:${quoteIdentifier(r.type)}]->(b) SET r = $properties`,
        { a: ids.get(r.start), b: ids.get(r.end), properties: r.properties },
      );
    }
    for (const statement of spec.schema) await session.run(statement);
  } finally {
    await session.close();
  }
}

async function digestLive(driver: Neo4jDriverLike, database: string) {
  const session = driver.session({ database });
  try {
    const nodes = new Map<string, string>();
    for (const r of (
      await session.run('MATCH (n) RETURN id(n) AS id, labels(n) AS labels, properties(n) AS p')
    ).records) {
      nodes.set(
        String(r.get('id')),
        `(${(r.get('labels') as string[]).sort().join(':')} ${canonicalProperties(r.get('p'))})`,
      );
    }
    const relationships = (
      await session.run(
        'MATCH (a)-[r]->(b) RETURN id(a) AS a, type(r) AS type, properties(r) AS p, id(b) AS b',
      )
    ).records.map(
      (r) =>
        `${nodes.get(String(r.get('a')))}-[${r.get('type')} ${canonicalProperties(r.get('p'))}]->${nodes.get(String(r.get('b')))}`,
    );
    const constraints = (await session.run('SHOW CONSTRAINTS YIELD name, createStatement')).records.map(
      (r) => `${r.get('name')}: ${r.get('createStatement')}`,
    );
    const indexes = (await session.run('SHOW INDEXES YIELD *')).records
      .filter(
        (r) =>
          !(r.has('owningConstraint') && r.get('owningConstraint') !== null) &&
          !(r.has('uniqueness') && r.get('uniqueness') === 'UNIQUE'),
      )
      .map((r) =>
        r.get('type') === 'LOOKUP'
          ? `LOOKUP ${r.get('entityType')}`
          : `${r.get('name')}: ${r.get('createStatement')}`,
      );
    return {
      nodes: [...nodes.values()].sort(),
      relationships: relationships.sort(),
      constraints: constraints.sort(),
      indexes: indexes.sort(),
    };
  } finally {
    await session.close();
  }
}

async function empty(driver: Neo4jDriverLike, database: string): Promise<void> {
  const session = driver.session({ database });
  try {
    for (const r of (await session.run('SHOW CONSTRAINTS YIELD name')).records) {
      await session.run(`DROP CONSTRAINT ${quoteIdentifier(String(r.get('name')))} IF EXISTS`);
    }
    for (const r of (await session.run('SHOW INDEXES YIELD name, type')).records) {
      if (r.get('type') !== 'LOOKUP')
        await session.run(`DROP INDEX ${quoteIdentifier(String(r.get('name')))} IF EXISTS`);
    }
    await session.run('MATCH (n) DETACH DELETE n');
  } catch {
    // the target database may not exist (the restore failed before creating it)
  } finally {
    await session.close();
  }
}
