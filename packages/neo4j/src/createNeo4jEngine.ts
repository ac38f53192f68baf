import { Readable } from 'node:stream';
import {
  type ArtifactRecord,
  type ArtifactSink,
  BackupError,
  type BackupUnit,
  type Engine,
  type EngineContext,
  type EngineDescription,
  type RestoreInput,
  type RestoreResult,
} from '@backup/core';
import type { AuthToken } from 'neo4j-driver';
import { graphArtifactName, schemaArtifactName } from './artifactNames.js';
import { createDriver, NEO4J_URI_SCHEME, type Neo4jTlsOptions } from './createDriver.js';
import { emptyGraphCounts, exportGraph } from './exportGraph.js';
import { listDatabases } from './listDatabases.js';
import { NEO4J_GRAPH_MEDIA_TYPE, NEO4J_SCHEMA_MEDIA_TYPE } from './mediaTypes.js';
import type { Neo4jDriverLike } from './Neo4jDriverLike.js';
import type { Neo4jRestoreProgress } from './Neo4jRestoreProgress.js';
import { readSchema } from './readSchema.js';
import { readServerInfo } from './readServerInfo.js';
import { type Neo4jResumePoint, restoreGraph } from './restoreGraph.js';
import type { Neo4jSchemaDocument } from './schemaDocument.js';
import { selectDatabases } from './selectDatabases.js';
import { serverLabel } from './serverLabel.js';
import { verifyGraphArtifact } from './verifyGraphArtifact.js';
import { verifySchemaArtifact } from './verifySchemaArtifact.js';

/** Default records per export page (one read transaction each). */
export const DEFAULT_PAGE_SIZE = 10_000;

/** Default rows per `UNWIND` statement of a restore. */
export const DEFAULT_BATCH_SIZE = 5_000;

/** Options of {@link createNeo4jEngine}: the source server and what to back up. */
export interface Neo4jEngineOptions {
  /**
   * `neo4j://host:7687` (routing, clusters), `bolt://host:7687` (one server), or their `+s`
   * (TLS, system CAs) / `+ssc` (TLS, any certificate) variants. Required unless `driver` is given
   * (then it only labels the server in reports).
   */
  uri?: string | undefined;
  /** Basic-auth user; with `password`. */
  user?: string | undefined;
  /** Basic-auth password; never logged, never in the manifest. */
  password?: string | undefined;
  /** Any neo4j-driver auth token (bearer, kerberos, custom); overrides `user`/`password`. */
  auth?: AuthToken | undefined;
  /** TLS for plain `neo4j://`/`bolt://` URIs. */
  tls?: Neo4jTlsOptions | undefined;
  /**
   * Databases to back up: `'all'` (default: every standard database from `SHOW DATABASES`,
   * `system` and composite databases excluded) or a list of names (each must exist).
   */
  databases?: 'all' | string[] | undefined;
  /** Records per export page, one read transaction each; default 10,000 (1 to 1,000,000). */
  pageSize?: number | undefined;
  /**
   * A driver to use instead of building one from `uri`: anything with neo4j-driver's
   * `session()`/`close()` (a real `Driver`, or a test double). The engine never closes it.
   */
  driver?: Neo4jDriverLike | undefined;
}

/** Options of the engine's `restore`: where to restore and how. */
export interface Neo4jRestoreOptions {
  /** Another server to restore into (same credentials and TLS as the engine); default the engine's. */
  targetUri?: string | undefined;
  /** A driver for the target server (overrides `targetUri`); the engine never closes it. */
  targetDriver?: Neo4jDriverLike | undefined;
  /**
   * Target database; default the unit's own name. Created when missing on Enterprise Edition;
   * Community Edition only has its one user database (`neo4j`).
   */
  database?: string | undefined;
  /**
   * Restore into a non-empty database: its constraints, indexes (except token lookup indexes) and
   * all nodes and relationships are deleted first. Default `false`: `TARGET_NOT_EMPTY`.
   */
  force?: boolean | undefined;
  /** Rows per `UNWIND ... CREATE` statement; default 5,000 (1 to 1,000,000). */
  batchSize?: number | undefined;
  /** Rows per write transaction (split into statements of `batchSize`); default `batchSize`. */
  transactionSize?: number | undefined;
  /**
   * Continue a restore that failed: the counts its `RESTORE_FAILED` message and `details`
   * (`nodesImported`, `relationshipsImported`) report. The target must hold exactly those nodes;
   * the first lines are skipped. Cannot be combined with `force`.
   */
  resume?: Neo4jResumePoint | undefined;
  /** Called at each phase and after every committed transaction. */
  onProgress?: ((progress: Neo4jRestoreProgress) => void) | undefined;
}

/**
 * Creates the Neo4j engine (name `neo4j`): an online logical export through neo4j-driver, one
 * unit per database (kind `graph`) with two artifacts:
 *
 * - `<db>.graph.jsonl` (`application/x-ndjson`): every node, then every relationship, one JSON
 *   object per line in `apoc.export.json.all`'s shape plus a `types` object that makes every
 *   value exact (docs/format.md, "Neo4j graph"); `apoc.import.json` can read it.
 * - `<db>.schema.json` (`application/json`): constraints and non-owned indexes with their
 *   `createStatement`, server version and edition, counts per label and relationship type.
 *
 * - `describe`: version (`5.26.0`) and metadata `edition`, `server` (`host:port`), `idKind`,
 *   `databases` (`{ name, status, default }`).
 * - `discover`: one unit per selected database, metadata `status`, `default`.
 * - `backup`: pages of `pageSize` records in read transactions (see `exportGraph` for the
 *   consistency you get); unit facts `serverVersion`, `edition`, `idKind`, `nodes`,
 *   `relationships`, `labels`, `relationshipTypes`, `constraints`, `indexes`.
 * - `verify`: every graph line parses and decodes, nodes before relationships; the schema
 *   document matches its zod schema.
 * - `restore`: see `restoreGraph` and {@link Neo4jRestoreOptions}.
 *
 * @throws BackupError `CONFIG_INVALID` at creation for malformed options (the message names the
 *   field). The engine's calls throw `SOURCE_FAILED` (with `details.neo4jCode`), `CONFIG_INVALID`,
 *   `VERIFY_FAILED`, `TARGET_NOT_EMPTY`, `RESTORE_FAILED`, `ABORTED`.
 */
export function createNeo4jEngine(options: Neo4jEngineOptions): Engine<Neo4jRestoreOptions> {
  validateOptions(options);
  const label = serverLabel(options.uri);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const wanted = options.databases ?? 'all';

  const connect = (uri: string) =>
    createDriver({
      uri,
      user: options.user,
      password: options.password,
      auth: options.auth,
      tls: options.tls,
    });

  async function withDriver<T>(fn: (driver: Neo4jDriverLike) => Promise<T>): Promise<T> {
    if (options.driver) return fn(options.driver);
    const driver = connect(options.uri!);
    try {
      return await fn(driver);
    } finally {
      await driver.close().catch(() => {});
    }
  }

  return {
    name: 'neo4j',

    describe(_ctx: EngineContext): Promise<EngineDescription> {
      return withDriver(async (driver) => {
        const info = await readServerInfo(driver);
        const databases = (await listDatabases(driver)).filter((d) => d.type === 'standard');
        return {
          version: info.version,
          metadata: {
            edition: info.edition,
            server: label,
            idKind: info.idKind,
            databases: databases.map((d) => ({ name: d.name, status: d.status, default: d.isDefault })),
          },
        };
      });
    },

    discover(_ctx: EngineContext): Promise<BackupUnit[]> {
      return withDriver(async (driver) =>
        selectDatabases(await listDatabases(driver), wanted, label).map((d) => ({
          name: d.name,
          kind: 'graph',
          metadata: { status: d.status, default: d.isDefault },
        })),
      );
    },

    backup(unit: BackupUnit, sink: ArtifactSink, ctx: EngineContext) {
      if (unit.kind !== 'graph') {
        return Promise.reject(
          new BackupError('INTERNAL', `The neo4j engine has no unit kind "${unit.kind}"`),
        );
      }
      const database = unit.name;
      return withDriver(async (driver) => {
        const info = await readServerInfo(driver);
        const counts = emptyGraphCounts();
        ctx.logger.debug({ database, pageSize, idKind: info.idKind }, `exporting database ${database}`);
        await sink.write({
          name: graphArtifactName(database),
          unit: unit.name,
          mediaType: NEO4J_GRAPH_MEDIA_TYPE,
          source: Readable.from(
            exportGraph({ driver, database, idKind: info.idKind, pageSize, signal: ctx.signal, counts }),
            { objectMode: false },
          ),
          metadata: { database, formatVersion: 1, idKind: info.idKind },
        });
        const session = driver.session({ database, defaultAccessMode: 'READ' });
        let schema: Awaited<ReturnType<typeof readSchema>>;
        try {
          schema = await session.executeRead((tx) => readSchema(tx, database));
        } finally {
          await session.close().catch(() => {});
        }
        const document: Neo4jSchemaDocument = {
          format: 'neo4j-schema',
          formatVersion: 1,
          database,
          server: { version: info.version, edition: info.edition },
          idKind: info.idKind,
          counts,
          constraints: schema.constraints,
          indexes: schema.indexes,
        };
        await sink.write({
          name: schemaArtifactName(database),
          unit: unit.name,
          mediaType: NEO4J_SCHEMA_MEDIA_TYPE,
          source: Readable.from([Buffer.from(`${JSON.stringify(document, null, 2)}\n`, 'utf8')], {
            objectMode: false,
          }),
          metadata: { database, constraints: schema.constraints.length, indexes: schema.indexes.length },
        });
        return {
          database,
          serverVersion: info.version,
          edition: info.edition,
          idKind: info.idKind,
          nodes: counts.nodes,
          relationships: counts.relationships,
          labels: counts.labels,
          relationshipTypes: counts.relationshipTypes,
          constraints: schema.constraints.length,
          indexes: schema.indexes.length,
        };
      });
    },

    async verify(artifact: ArtifactRecord, plaintext: Readable, ctx: EngineContext): Promise<void> {
      if (artifact.mediaType === NEO4J_GRAPH_MEDIA_TYPE) {
        const summary = await verifyGraphArtifact(plaintext, artifact.name);
        ctx.logger.debug({ artifact: artifact.name, ...summary }, 'graph artifact verified');
        return;
      }
      if (artifact.mediaType === NEO4J_SCHEMA_MEDIA_TYPE) {
        await verifySchemaArtifact(plaintext, artifact.name);
        return;
      }
      plaintext.destroy();
      throw new BackupError(
        'VERIFY_FAILED',
        `${artifact.name} has media type ${artifact.mediaType}, which the neo4j engine does not write`,
      );
    },

    async restore(input: RestoreInput<Neo4jRestoreOptions>, ctx: EngineContext): Promise<RestoreResult> {
      const opts = input.options ?? {};
      validateRestoreOptions(opts);
      const { unit } = input;
      if (unit.kind !== 'graph') {
        throw new BackupError('RESTORE_FAILED', `The neo4j engine cannot restore unit kind "${unit.kind}"`);
      }
      const find = (mediaType: string) => {
        const artifact = input.artifacts.find((a) => a.mediaType === mediaType);
        if (!artifact) {
          throw new BackupError(
            'RESTORE_FAILED',
            `Unit ${unit.name} has no ${mediaType} artifact in this set`,
          );
        }
        return artifact;
      };
      const graph = find(NEO4J_GRAPH_MEDIA_TYPE);
      const schemaArtifact = find(NEO4J_SCHEMA_MEDIA_TYPE);
      let schema: Neo4jSchemaDocument;
      try {
        schema = await verifySchemaArtifact(await input.open(schemaArtifact), schemaArtifact.name);
      } catch (error) {
        if (error instanceof BackupError && error.code === 'VERIFY_FAILED') {
          throw new BackupError('RESTORE_FAILED', error.message, { cause: error });
        }
        throw error;
      }
      const ownDriver = opts.targetDriver === undefined && opts.targetUri !== undefined;
      const targetLabel = opts.targetUri !== undefined ? serverLabel(opts.targetUri) : label;
      const run = (driver: Neo4jDriverLike) =>
        restoreGraph({
          unit: unit.name,
          database: opts.database ?? unit.name,
          driver,
          label: targetLabel,
          schema,
          openGraph: () => input.open(graph),
          graphName: graph.name,
          force: opts.force ?? false,
          resume: opts.resume,
          batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
          transactionSize: opts.transactionSize ?? opts.batchSize ?? DEFAULT_BATCH_SIZE,
          signal: ctx.signal,
          logger: ctx.logger,
          onProgress: opts.onProgress,
        });
      if (opts.targetDriver) return run(opts.targetDriver);
      if (!ownDriver) return withDriver(run);
      const driver = connect(opts.targetUri!);
      try {
        return await run(driver);
      } finally {
        await driver.close().catch(() => {});
      }
    },
  };
}

function validateOptions(options: Neo4jEngineOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `neo4j engine option ${field} must be ${expected}`);
  };
  if (typeof options !== 'object' || options === null) invalid('(options)', 'an object');
  if (options.driver !== undefined && typeof options.driver?.session !== 'function') {
    invalid('driver', 'a neo4j-driver Driver (an object with session() and close())');
  }
  if (options.uri !== undefined && (typeof options.uri !== 'string' || !NEO4J_URI_SCHEME.test(options.uri))) {
    invalid('uri', 'a neo4j://, neo4j+s://, neo4j+ssc://, bolt://, bolt+s:// or bolt+ssc:// URI');
  }
  if (options.uri === undefined && options.driver === undefined) invalid('uri', 'set (or pass a driver)');
  if (options.user !== undefined && (typeof options.user !== 'string' || options.user === '')) {
    invalid('user', 'a non-empty string');
  }
  if (options.password !== undefined && typeof options.password !== 'string') invalid('password', 'a string');
  if (options.password !== undefined && options.user === undefined) invalid('user', 'set when password is');
  if (options.auth !== undefined && (typeof options.auth !== 'object' || options.auth === null)) {
    invalid('auth', 'a neo4j-driver auth token');
  }
  const { databases } = options;
  if (
    databases !== undefined &&
    databases !== 'all' &&
    !(
      Array.isArray(databases) &&
      databases.length > 0 &&
      databases.every((d) => typeof d === 'string' && d !== '')
    )
  ) {
    invalid('databases', '"all" or a non-empty list of database names');
  }
  if (options.pageSize !== undefined && !isCount(options.pageSize)) {
    invalid('pageSize', 'an integer from 1 to 1000000');
  }
  const { tls } = options;
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null) invalid('tls', 'an object');
    if (tls.encrypted !== undefined && typeof tls.encrypted !== 'boolean')
      invalid('tls.encrypted', 'true or false');
    if (tls.trust !== undefined && !['system', 'custom', 'all'].includes(tls.trust)) {
      invalid('tls.trust', 'system, custom or all');
    }
    if (
      tls.trustedCertificates !== undefined &&
      !(Array.isArray(tls.trustedCertificates) && tls.trustedCertificates.every((c) => typeof c === 'string'))
    ) {
      invalid('tls.trustedCertificates', 'a list of PEM file paths');
    }
  }
}

function validateRestoreOptions(options: Neo4jRestoreOptions): void {
  const invalid = (field: string, expected: string): never => {
    throw new BackupError('CONFIG_INVALID', `neo4j restore option ${field} must be ${expected}`);
  };
  if (
    options.targetUri !== undefined &&
    (typeof options.targetUri !== 'string' || !NEO4J_URI_SCHEME.test(options.targetUri))
  ) {
    invalid('targetUri', 'a neo4j:// or bolt:// URI');
  }
  if (options.targetDriver !== undefined && typeof options.targetDriver?.session !== 'function') {
    invalid('targetDriver', 'a neo4j-driver Driver');
  }
  if (options.database !== undefined && (typeof options.database !== 'string' || options.database === '')) {
    invalid('database', 'a database name');
  }
  if (options.force !== undefined && typeof options.force !== 'boolean') invalid('force', 'true or false');
  if (options.batchSize !== undefined && !isCount(options.batchSize))
    invalid('batchSize', 'an integer from 1 to 1000000');
  if (options.transactionSize !== undefined && !isCount(options.transactionSize)) {
    invalid('transactionSize', 'an integer from 1 to 1000000');
  }
  if (options.resume !== undefined) {
    const { resume } = options;
    if (
      typeof resume !== 'object' ||
      resume === null ||
      !Number.isSafeInteger(resume.nodes) ||
      resume.nodes < 0 ||
      !Number.isSafeInteger(resume.relationships) ||
      resume.relationships < 0
    ) {
      invalid('resume', '{ nodes, relationships } with non-negative integers');
    }
    if (options.force) invalid('resume', 'used without force (force deletes what resume continues)');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    invalid('onProgress', 'a function');
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1_000_000;
}
