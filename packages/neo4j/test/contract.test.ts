import { describeEngineContract } from '@backup/core/testing';
import { expect } from 'vitest';
import { createNeo4jEngine, type Neo4jRestoreOptions } from '../src/index.js';
import { Neo4jDouble } from '../src/testing/Neo4jDouble.js';
import { digestDouble, seedDouble } from './fixtures/doubleFixtures.js';
import { richGraph } from './fixtures/richGraph.js';

// The shared round trip (backup -> deep verify -> restore into an empty target -> identical digest
// -> TARGET_NOT_EMPTY -> force -> corruption detected), against the session double.

// Neo4j 5 Enterprise: elementId paging, key/existence/type constraints, vector/text/point indexes;
// the restore creates database `restored`.
describeEngineContract<Neo4jRestoreOptions>('neo4j 5.26 enterprise (session double)', async () => {
  const server = new Neo4jDouble({ version: '5.26.0', edition: 'enterprise' });
  await seedDouble(server, 'neo4j', richGraph());
  const options = { database: 'restored', batchSize: 5, transactionSize: 12 };
  return {
    engine: createNeo4jEngine({ uri: 'neo4j://graph.double:7687', driver: server.driver(), pageSize: 7 }),
    async snapshotSource() {
      const digest = digestDouble(server, 'neo4j');
      expect(digest.nodes.length).toBeGreaterThan(50);
      expect(digest.relationships.length).toBeGreaterThan(80);
      expect(digest.constraints.length).toBe(4);
      return digest;
    },
    restoreOptions: options,
    overwriteOptions: { ...options, force: true },
    snapshotTarget: async () => digestDouble(server, 'restored'),
  };
});

// Neo4j 4.4 Community: legacy id() paging, 4.4 SHOW columns (uniqueness instead of
// owningConstraint), no CREATE DATABASE: restore into the `neo4j` database of a second server.
describeEngineContract<Neo4jRestoreOptions>(
  'neo4j 4.4 community (session double, second server)',
  async () => {
    const source = new Neo4jDouble({ version: '4.4.40', edition: 'community' });
    const target = new Neo4jDouble({ version: '4.4.40', edition: 'community' });
    await seedDouble(source, 'neo4j', richGraph({ enterprise: false, major: 4, people: 25 }));
    const options = { targetDriver: target.driver(), database: 'neo4j', batchSize: 4 };
    return {
      engine: createNeo4jEngine({ uri: 'bolt://graph.double:7687', driver: source.driver(), pageSize: 5 }),
      async snapshotSource() {
        expect(source.statements().some((q) => q.includes('elementId('))).toBe(false);
        return digestDouble(source, 'neo4j');
      },
      restoreOptions: options,
      overwriteOptions: { ...options, force: true },
      snapshotTarget: async () => digestDouble(target, 'neo4j'),
    };
  },
);
