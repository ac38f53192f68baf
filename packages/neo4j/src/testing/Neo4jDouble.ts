import {
  Integer,
  int,
  isDate,
  isDateTime,
  isDuration,
  isInt,
  isLocalDateTime,
  isLocalTime,
  isPoint,
  isTime,
  isVector,
  Neo4jError,
  Record as Neo4jRecord,
} from 'neo4j-driver';
import {
  ANY_NODE_QUERY,
  AWAIT_INDEX_QUERY,
  COUNT_IMPORT_NODES_QUERY,
  COUNT_NODES_QUERY,
  COUNT_RELATIONSHIPS_QUERY,
  CREATE_IMPORT_INDEX_QUERY,
  DELETE_NODES_BATCH_QUERY,
  IMPORT_ID_PROPERTY,
  IMPORT_INDEX_NAME,
  IMPORT_LABEL,
  type Neo4jDriverLike,
  type Neo4jQueryResultLike,
  type Neo4jQueryRunner,
  type Neo4jSessionConfig,
  type Neo4jSessionLike,
  NODE_PAGE_BY_ELEMENT_ID_QUERY,
  NODE_PAGE_BY_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY,
  RELATIONSHIP_PAGE_BY_ID_QUERY,
  REMOVE_IMPORT_IDS_BATCH_QUERY,
  SERVER_INFO_QUERY,
  SHOW_CONSTRAINTS_QUERY,
  SHOW_DATABASES_QUERY,
  SHOW_INDEXES_QUERY,
} from '../index.js';
import { InMemoryGraph, type SchemaItem, type StoredNode, type Undo } from './InMemoryGraph.js';
import { QUOTED, quotedNames, unquote } from './identifiers.js';
import { ENTERPRISE_CONSTRAINTS, parseSchemaStatement } from './schemaStatements.js';

/** Options of {@link Neo4jDouble}. */
export interface Neo4jDoubleOptions {
  /** Server version reported by dbms.components(); decides elementId support and SHOW columns. */
  version?: string;
  edition?: 'community' | 'enterprise';
  /** User databases at start (each with the two default token lookup indexes); default `['neo4j']`. */
  databases?: string[];
}

/** One statement the double executed (or refused). */
export interface ExecutedStatement {
  database: string;
  query: string;
  parameters: Record<string, unknown>;
  /** READ / WRITE for managed transactions, AUTO for session.run. */
  access: 'READ' | 'WRITE' | 'AUTO';
  transaction: number;
}

/** One transaction the double ran. */
export interface TransactionRecord {
  id: number;
  database: string;
  access: 'READ' | 'WRITE' | 'AUTO';
  statements: string[];
  /** Sum of the `$rows` lengths of its statements. */
  rows: number;
  outcome: 'committed' | 'rolled back';
}

/** Makes the next matching statement fail (before it runs), `times` times (default once). */
export interface Fault {
  match(statement: ExecutedStatement): boolean;
  error(): Error;
  times?: number;
}

interface TxState {
  id: number;
  database: string;
  graph: InMemoryGraph | null;
  access: 'READ' | 'WRITE' | 'AUTO';
  undo: Undo[];
  wrote: 'data' | 'schema' | undefined;
  record: TransactionRecord;
}

type Rows = { keys: string[]; rows: unknown[][] };
type Kind = 'read' | 'write' | 'schema' | 'admin';
type Handler = { kind: Kind; run(tx: TxState, params: Record<string, unknown>, match: string[]): Rows };

const TRANSIENT = 'Neo.TransientError.';

/** A `Neo4jError` as the server sends it. */
export function serverError(code: string, message: string): Neo4jError {
  return new Neo4jError(
    message,
    code,
    '50N42',
    `error: general processing exception - unexpected error. ${message}`,
  );
}

/**
 * An in-memory Neo4j server behind neo4j-driver's session API (the `Neo4jDriverLike` seam). It
 * executes exactly the statements of `src/cypher.ts` (fixed texts by equality; the per-label /
 * per-type import statements, DROP and CREATE DATABASE by parsing their quoted identifiers) and
 * the schema statements Neo4j writes as `createStatement`; any other text fails with a
 * `Neo4jError`. Values are the driver's real classes; records are the driver's `Record`.
 *
 * Server behaviour it reproduces: transactions (rollback on error; managed transactions retried
 * on `Neo.TransientError.*`, as the driver does), no writes in READ transactions, no schema and
 * data writes in one transaction, LIMIT must be an Integer, only storable property values (no
 * maps, mixed or nested lists, no null in lists), elementId() only from 5.0, 4.4 vs 5.x columns of
 * SHOW DATABASES/CONSTRAINTS/INDEXES, Enterprise-only CREATE DATABASE and key/existence/type
 * constraints, name clashes of schema items, one lookup index per entity type, uniqueness and
 * existence checked when a constraint is created, default lookup indexes in new databases.
 */
export class Neo4jDouble {
  readonly version: string;
  readonly edition: 'community' | 'enterprise';
  readonly major: number;
  readonly log: ExecutedStatement[] = [];
  readonly transactions: TransactionRecord[] = [];
  faults: Fault[] = [];
  private readonly graphs = new Map<string, InMemoryGraph>();
  private txCounter = 0;
  private readonly exact: Map<string, Handler>;

  constructor(options: Neo4jDoubleOptions = {}) {
    this.version = options.version ?? '5.26.0';
    this.edition = options.edition ?? 'enterprise';
    this.major = Number.parseInt(this.version, 10);
    for (const name of options.databases ?? ['neo4j']) this.addDatabase(name);
    this.exact = this.exactHandlers();
  }

  /** The graph of a database (throws if it does not exist). */
  graph(name: string): InMemoryGraph {
    const graph = this.graphs.get(name);
    if (!graph) throw new Error(`double: no database ${name}`);
    return graph;
  }

  /** Database names, `system` excluded. */
  get databaseNames(): string[] {
    return [...this.graphs.keys()];
  }

  /** Creates a database with the two token lookup indexes every new Neo4j database has. */
  addDatabase(name: string): InMemoryGraph {
    const graph = new InMemoryGraph();
    const lookups: SchemaItem[] = [
      { name: 'index_343aff4e', entityType: 'NODE', statement: 'FOR (n) ON EACH labels(n)' },
      { name: 'index_f7700477', entityType: 'RELATIONSHIP', statement: 'FOR ()-[r]-() ON EACH type(r)' },
    ].map((l) => ({
      name: l.name,
      type: 'LOOKUP',
      entityType: l.entityType as 'NODE' | 'RELATIONSHIP',
      labelsOrTypes: null,
      properties: null,
      createStatement: `CREATE LOOKUP INDEX \`${l.name}\` ${l.statement}`,
      owner: null,
    }));
    for (const item of lookups) graph.indexes.set(item.name, item);
    this.graphs.set(name, graph);
    return graph;
  }

  /**
   * A driver for this server. `disableLosslessIntegers` makes records carry integers as JavaScript
   * numbers, as the real driver option does.
   */
  driver(config: { disableLosslessIntegers?: boolean } = {}): Neo4jDriverLike {
    return {
      session: (session?: Neo4jSessionConfig) =>
        new DoubleSession(this, session?.database ?? 'neo4j', config.disableLosslessIntegers ?? false),
      close: async () => {},
    };
  }

  /** Statements executed in `database` (all when omitted), in order. */
  statements(database?: string): string[] {
    return this.log.filter((s) => database === undefined || s.database === database).map((s) => s.query);
  }

  /** @internal Begins a transaction. */
  begin(database: string, access: TxState['access']): TxState {
    const id = ++this.txCounter;
    const record: TransactionRecord = {
      id,
      database,
      access,
      statements: [],
      rows: 0,
      outcome: 'rolled back',
    };
    this.transactions.push(record);
    const graph = database === 'system' ? null : (this.graphs.get(database) ?? null);
    if (database !== 'system' && !graph) {
      throw serverError(
        'Neo.ClientError.Database.DatabaseNotFound',
        `Database does not exist. Database name: '${database}'.`,
      );
    }
    return { id, database, graph, access, undo: [], wrote: undefined, record };
  }

  /** @internal Runs one statement in a transaction. */
  execute(tx: TxState, query: string, rawParams: Record<string, unknown> | undefined): Rows {
    const params = bolt(rawParams ?? {}) as Record<string, unknown>;
    const statement: ExecutedStatement = {
      database: tx.database,
      query,
      parameters: params,
      access: tx.access,
      transaction: tx.id,
    };
    this.log.push(statement);
    tx.record.statements.push(query);
    if (Array.isArray(params['rows'])) tx.record.rows += params['rows'].length;
    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && f.match(statement));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      throw fault.error();
    }
    const [handler, match] = this.resolve(query);
    if (tx.database === 'system' && handler.kind !== 'admin' && query !== SERVER_INFO_QUERY) {
      throw serverError(
        'Neo.ClientError.Statement.NotSystemDatabaseError',
        `Not a recognised system command or procedure: ${query}`,
      );
    }
    if (tx.database !== 'system' && handler.kind === 'admin') {
      throw serverError(
        'Neo.ClientError.Statement.NotSystemDatabaseError',
        'This is an administration command and it should be executed against the system database',
      );
    }
    if (
      (handler.kind === 'write' || handler.kind === 'schema' || handler.kind === 'admin') &&
      tx.access === 'READ'
    ) {
      throw serverError(
        'Neo.ClientError.Statement.AccessMode',
        `Writing in read access mode not allowed. Attempted write to ${tx.database}`,
      );
    }
    if (handler.kind === 'write' || handler.kind === 'schema') {
      const wrote = handler.kind === 'write' ? 'data' : 'schema';
      if (tx.wrote !== undefined && tx.wrote !== wrote) {
        throw serverError(
          'Neo.ClientError.Transaction.ForbiddenDueToTransactionType',
          'Tried to execute Write query after executing Schema modification',
        );
      }
      tx.wrote = wrote;
    }
    return handler.run(tx, params, match);
  }

  private resolve(query: string): [Handler, string[]] {
    const exact = this.exact.get(query);
    if (exact) return [exact, []];
    for (const [re, handler] of this.patternHandlers()) {
      const m = re.exec(query);
      if (m) return [handler, [...m].map((g) => g ?? '')];
    }
    const schema = parseSchemaStatement(query, this.major >= 5 ? 'RANGE' : 'BTREE');
    if (schema) return [{ kind: 'schema', run: (tx) => this.createSchema(tx, schema) }, []];
    throw serverError(
      'Neo.ClientError.Statement.SyntaxError',
      `The session double does not know this query: ${query}`,
    );
  }

  private exactHandlers(): Map<string, Handler> {
    const named = (key: string, n: number): Rows => ({ keys: [key], rows: [[int(n)]] });
    const h = new Map<string, Handler>();
    h.set(SERVER_INFO_QUERY, {
      kind: 'read',
      run: () => ({
        keys: ['name', 'versions', 'edition', 'integerProbe'],
        rows: [['Neo4j Kernel', [this.version], this.edition, int(1)]],
      }),
    });
    h.set(SHOW_DATABASES_QUERY, { kind: 'admin', run: () => this.showDatabases() });
    h.set(NODE_PAGE_BY_ELEMENT_ID_QUERY, { kind: 'read', run: (tx, p) => this.nodePage(tx, p, true) });
    h.set(NODE_PAGE_BY_ID_QUERY, { kind: 'read', run: (tx, p) => this.nodePage(tx, p, false) });
    h.set(RELATIONSHIP_PAGE_BY_ELEMENT_ID_QUERY, {
      kind: 'read',
      run: (tx, p) => this.relationshipPage(tx, p, true),
    });
    h.set(RELATIONSHIP_PAGE_BY_ID_QUERY, {
      kind: 'read',
      run: (tx, p) => this.relationshipPage(tx, p, false),
    });
    h.set(SHOW_CONSTRAINTS_QUERY, { kind: 'read', run: (tx) => this.showConstraints(g(tx)) });
    h.set(SHOW_INDEXES_QUERY, { kind: 'read', run: (tx) => this.showIndexes(g(tx)) });
    h.set(ANY_NODE_QUERY, { kind: 'read', run: (tx) => named('nodes', Math.min(1, g(tx).nodes.size)) });
    h.set(COUNT_NODES_QUERY, { kind: 'read', run: (tx) => named('nodes', g(tx).nodes.size) });
    h.set(COUNT_RELATIONSHIPS_QUERY, {
      kind: 'read',
      run: (tx) => named('relationships', g(tx).relationships.size),
    });
    h.set(COUNT_IMPORT_NODES_QUERY, {
      kind: 'read',
      run: (tx) =>
        named('nodes', [...g(tx).nodes.values()].filter((n) => n.labels.includes(IMPORT_LABEL)).length),
    });
    h.set(DELETE_NODES_BATCH_QUERY, {
      kind: 'write',
      run: (tx, p) => {
        const graph = g(tx);
        const victims = [...graph.nodes.values()].slice(0, limit(p));
        for (const node of victims) graph.deleteNode(node, tx.undo);
        return named('deleted', victims.length);
      },
    });
    h.set(CREATE_IMPORT_INDEX_QUERY, {
      kind: 'schema',
      run: (tx) => {
        const graph = g(tx);
        if (!graph.indexes.has(IMPORT_INDEX_NAME)) {
          const type = this.major >= 5 ? 'RANGE' : 'BTREE';
          graph.addSchema(
            'index',
            {
              name: IMPORT_INDEX_NAME,
              type,
              entityType: 'NODE',
              labelsOrTypes: [IMPORT_LABEL],
              properties: [IMPORT_ID_PROPERTY],
              createStatement: `CREATE ${type} INDEX \`${IMPORT_INDEX_NAME}\` FOR (n:\`${IMPORT_LABEL}\`) ON (n.\`${IMPORT_ID_PROPERTY}\`)`,
              owner: null,
            },
            tx.undo,
          );
        }
        return { keys: [], rows: [] };
      },
    });
    h.set(AWAIT_INDEX_QUERY, {
      kind: 'read',
      run: (tx, p) => {
        if (typeof p['name'] !== 'string' || !isInt(p['timeoutSeconds'])) {
          throw serverError(
            'Neo.ClientError.Statement.TypeError',
            'db.awaitIndex(indexName :: STRING, timeOutSeconds :: INTEGER)',
          );
        }
        if (!g(tx).indexes.has(p['name'])) {
          throw serverError('Neo.ClientError.Procedure.ProcedureCallFailed', `No such index '${p['name']}'`);
        }
        return { keys: [], rows: [] };
      },
    });
    h.set(REMOVE_IMPORT_IDS_BATCH_QUERY, {
      kind: 'write',
      run: (tx, p) => {
        const graph = g(tx);
        const marked = [...graph.nodes.values()]
          .filter((n) => n.labels.includes(IMPORT_LABEL))
          .slice(0, limit(p));
        for (const node of marked) {
          const { [IMPORT_ID_PROPERTY]: _, ...rest } = node.properties;
          graph.updateNode(
            node,
            node.labels.filter((l) => l !== IMPORT_LABEL),
            rest,
            tx.undo,
          );
        }
        return named('cleaned', marked.length);
      },
    });
    return h;
  }

  private patternHandlers(): [RegExp, Handler][] {
    const importLabel = `\`${IMPORT_LABEL}\``;
    const importId = `\`${IMPORT_ID_PROPERTY}\``;
    return [
      [
        new RegExp(
          String.raw`^UNWIND \$rows AS row CREATE \(n:${importLabel}((?::${QUOTED.replace('(', '(?:')})*) \{${importId}: row\.id\}\) SET n \+= row\.properties RETURN count\(n\) AS created$`,
        ),
        { kind: 'write', run: (tx, p, m) => this.createNodes(tx, p, quotedNames(m[1]!)) },
      ],
      [
        new RegExp(
          String.raw`^UNWIND \$rows AS row MATCH \(s:${importLabel} \{${importId}: row\.start\}\) MATCH \(e:${importLabel} \{${importId}: row\.end\}\) CREATE \(s\)-\[r:${QUOTED}\]->\(e\) SET r \+= row\.properties RETURN count\(r\) AS created$`,
        ),
        { kind: 'write', run: (tx, p, m) => this.createRelationships(tx, p, unquote(m[1]!)) },
      ],
      [
        new RegExp(`^DROP (CONSTRAINT|INDEX) ${QUOTED}( IF EXISTS)?$`),
        {
          kind: 'schema',
          run: (tx, _p, m) =>
            this.dropSchema(tx, m[1] === 'CONSTRAINT' ? 'constraint' : 'index', unquote(m[2]!), m[3] !== ''),
        },
      ],
      [
        new RegExp(`^CREATE DATABASE ${QUOTED} IF NOT EXISTS WAIT$`),
        {
          kind: 'admin',
          run: (_tx, _p, m) => {
            if (this.edition !== 'enterprise') {
              throw serverError(
                'Neo.ClientError.Statement.UnsupportedAdministrationCommand',
                `Unsupported administration command: CREATE DATABASE`,
              );
            }
            const name = unquote(m[1]!);
            if (!this.graphs.has(name)) this.addDatabase(name);
            return {
              keys: ['address', 'state', 'message', 'success'],
              rows: [['localhost:7687', 'CaughtUp', 'caught up', true]],
            };
          },
        },
      ],
    ];
  }

  private showDatabases(): Rows {
    const names = ['system', ...this.graphs.keys()];
    if (this.major >= 5) {
      return {
        keys: [
          'name',
          'type',
          'aliases',
          'access',
          'address',
          'role',
          'writer',
          'requestedStatus',
          'currentStatus',
          'statusMessage',
          'default',
          'home',
          'constituents',
        ],
        rows: names.map((n) => [
          n,
          n === 'system' ? 'system' : 'standard',
          [],
          'read-write',
          'localhost:7687',
          'primary',
          true,
          'online',
          'online',
          '',
          n === 'neo4j',
          n === 'neo4j',
          [],
        ]),
      };
    }
    return {
      keys: [
        'name',
        'aliases',
        'access',
        'address',
        'role',
        'requestedStatus',
        'currentStatus',
        'error',
        'default',
        'home',
      ],
      rows: names.map((n) => [
        n,
        [],
        'read-write',
        'localhost:7687',
        'standalone',
        'online',
        'online',
        '',
        n === 'neo4j',
        n === 'neo4j',
      ]),
    };
  }

  private nodePage(tx: TxState, p: Record<string, unknown>, byElementId: boolean): Rows {
    this.requireElementId(byElementId);
    const graph = g(tx);
    const nodes = [...graph.nodes.values()];
    const page = byElementId
      ? nodes
          .filter((n) => n.elementId > stringParam(p, 'after'))
          .sort((a, b) => cmp(a.elementId, b.elementId))
      : nodes.filter((n) => n.id > integerParam(p, 'after')).sort((a, b) => a.id - b.id);
    return {
      keys: ['id', 'labels', 'properties'],
      rows: page
        .slice(0, limit(p))
        .map((n) => [byElementId ? n.elementId : int(n.id), [...n.labels], { ...n.properties }]),
    };
  }

  private relationshipPage(tx: TxState, p: Record<string, unknown>, byElementId: boolean): Rows {
    this.requireElementId(byElementId);
    const graph = g(tx);
    const rels = [...graph.relationships.values()];
    const page = byElementId
      ? rels
          .filter((r) => r.elementId > stringParam(p, 'after'))
          .sort((a, b) => cmp(a.elementId, b.elementId))
      : rels.filter((r) => r.id > integerParam(p, 'after')).sort((a, b) => a.id - b.id);
    return {
      keys: ['id', 'type', 'properties', 'startId', 'startLabels', 'endId', 'endLabels'],
      rows: page.slice(0, limit(p)).map((r) => {
        const s = graph.nodes.get(r.start)!;
        const e = graph.nodes.get(r.end)!;
        const id = (x: { id: number; elementId: string }) => (byElementId ? x.elementId : int(x.id));
        return [id(r), r.type, { ...r.properties }, id(s), [...s.labels], id(e), [...e.labels]];
      }),
    };
  }

  private requireElementId(byElementId: boolean): void {
    if (byElementId && this.major < 5) {
      throw serverError('Neo.ClientError.Statement.SyntaxError', "Unknown function 'elementId'");
    }
  }

  private showConstraints(graph: InMemoryGraph): Rows {
    const items = [...graph.constraints.values()].sort((a, b) => cmp(a.name, b.name));
    if (this.major >= 5) {
      return {
        keys: [
          'id',
          'name',
          'type',
          'entityType',
          'labelsOrTypes',
          'properties',
          'ownedIndex',
          'propertyType',
          'options',
          'createStatement',
        ],
        rows: items.map((c, i) => [
          int(i + 10),
          c.name,
          c.type,
          c.entityType,
          c.labelsOrTypes,
          c.properties,
          c.owner,
          null,
          null,
          c.createStatement,
        ]),
      };
    }
    return {
      keys: [
        'id',
        'name',
        'type',
        'entityType',
        'labelsOrTypes',
        'properties',
        'ownedIndexId',
        'options',
        'createStatement',
      ],
      rows: items.map((c, i) => [
        int(i + 10),
        c.name,
        c.type,
        c.entityType,
        c.labelsOrTypes,
        c.properties,
        c.owner ? int(i + 100) : null,
        null,
        c.createStatement,
      ]),
    };
  }

  private showIndexes(graph: InMemoryGraph): Rows {
    const items = [...graph.indexes.values()].sort((a, b) => cmp(a.name, b.name));
    if (this.major >= 5) {
      return {
        keys: [
          'id',
          'name',
          'state',
          'populationPercent',
          'type',
          'entityType',
          'labelsOrTypes',
          'properties',
          'indexProvider',
          'owningConstraint',
          'lastRead',
          'readCount',
          'trackedSince',
          'options',
          'failureMessage',
          'createStatement',
        ],
        rows: items.map((x, i) => [
          int(i + 1),
          x.name,
          'ONLINE',
          100.0,
          x.type,
          x.entityType,
          x.labelsOrTypes,
          x.properties,
          `${x.type.toLowerCase()}-1.0`,
          x.owner,
          null,
          int(0),
          null,
          {},
          '',
          x.createStatement,
        ]),
      };
    }
    return {
      keys: [
        'id',
        'name',
        'state',
        'populationPercent',
        'uniqueness',
        'type',
        'entityType',
        'labelsOrTypes',
        'properties',
        'indexProvider',
        'options',
        'failureMessage',
        'createStatement',
      ],
      rows: items.map((x, i) => [
        int(i + 1),
        x.name,
        'ONLINE',
        100.0,
        x.owner ? 'UNIQUE' : 'NONUNIQUE',
        x.type,
        x.entityType,
        x.labelsOrTypes,
        x.properties,
        'native-btree-1.0',
        {},
        '',
        x.createStatement,
      ]),
    };
  }

  private createNodes(tx: TxState, p: Record<string, unknown>, labels: string[]): Rows {
    const graph = g(tx);
    const rows = rowsParam(p);
    for (const row of rows) {
      const properties = mapParam(row['properties'], 'row.properties');
      for (const [key, value] of Object.entries(properties)) checkStorable(value, key);
      checkStorable(row['id'], IMPORT_ID_PROPERTY);
      graph.createNode(
        [IMPORT_LABEL, ...labels],
        { [IMPORT_ID_PROPERTY]: row['id'], ...copyMap(properties) },
        tx.undo,
      );
    }
    return { keys: ['created'], rows: [[int(rows.length)]] };
  }

  private createRelationships(tx: TxState, p: Record<string, unknown>, type: string): Rows {
    const graph = g(tx);
    const byImportId = new Map<unknown, StoredNode>();
    for (const node of graph.nodes.values()) {
      if (node.labels.includes(IMPORT_LABEL)) byImportId.set(node.properties[IMPORT_ID_PROPERTY], node);
    }
    let created = 0;
    for (const row of rowsParam(p)) {
      const properties = mapParam(row['properties'], 'row.properties');
      for (const [key, value] of Object.entries(properties)) checkStorable(value, key);
      const start = byImportId.get(row['start']);
      const end = byImportId.get(row['end']);
      if (!start || !end) continue;
      graph.createRelationship(start, type, end, copyMap(properties), tx.undo);
      created++;
    }
    return { keys: ['created'], rows: [[int(created)]] };
  }

  private dropSchema(tx: TxState, kind: 'constraint' | 'index', name: string, ifExists: boolean): Rows {
    const graph = g(tx);
    const item = (kind === 'constraint' ? graph.constraints : graph.indexes).get(name);
    if (!item) {
      if (ifExists) return { keys: [], rows: [] };
      throw serverError(
        'Neo.ClientError.Schema.' + (kind === 'constraint' ? 'ConstraintDropFailed' : 'IndexDropFailed'),
        `No such ${kind} ${name}`,
      );
    }
    if (kind === 'index' && item.owner !== null) {
      throw serverError(
        'Neo.ClientError.Schema.IndexDropFailed',
        `Unable to drop index: Index belongs to constraint: \`${item.owner}\``,
      );
    }
    graph.dropSchema(kind, name, tx.undo);
    if (kind === 'constraint' && item.owner !== null) graph.dropSchema('index', item.owner, tx.undo);
    return { keys: [], rows: [] };
  }

  private createSchema(tx: TxState, statement: NonNullable<ReturnType<typeof parseSchemaStatement>>): Rows {
    const graph = g(tx);
    const { item } = statement;
    if (graph.constraints.has(item.name) || graph.indexes.has(item.name)) {
      if (statement.ifNotExists) return { keys: [], rows: [] };
      throw serverError(
        'Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists',
        `There already exists a schema rule named \`${item.name}\``,
      );
    }
    if (statement.kind === 'index') {
      if (
        item.type === 'LOOKUP' &&
        [...graph.indexes.values()].some((i) => i.type === 'LOOKUP' && i.entityType === item.entityType)
      ) {
        throw serverError(
          'Neo.ClientError.Schema.IndexAlreadyExists',
          `There already exists a ${item.entityType} lookup index`,
        );
      }
      graph.addSchema('index', item, tx.undo);
      return { keys: [], rows: [] };
    }
    if (this.edition !== 'enterprise' && ENTERPRISE_CONSTRAINTS.has(item.type)) {
      throw serverError(
        'Neo.DatabaseError.Schema.ConstraintCreationFailed',
        `Unable to create ${item.type} constraint: requires Neo4j Enterprise Edition`,
      );
    }
    this.validateConstraint(graph, item);
    if (statement.ownsIndex) {
      item.owner = item.name;
      graph.addSchema(
        'index',
        { ...item, type: this.major >= 5 ? 'RANGE' : 'BTREE', owner: item.name },
        tx.undo,
      );
    }
    graph.addSchema('constraint', item, tx.undo);
    return { keys: [], rows: [] };
  }

  private validateConstraint(graph: InMemoryGraph, item: SchemaItem): void {
    if (item.entityType !== 'NODE') return;
    const label = item.labelsOrTypes![0]!;
    const props = item.properties!;
    const nodes = [...graph.nodes.values()].filter((n) => n.labels.includes(label));
    if (item.type === 'UNIQUENESS' || item.type === 'NODE_KEY') {
      const seen = new Set<string>();
      for (const node of nodes) {
        if (props.some((p) => node.properties[p] === undefined)) {
          if (item.type === 'NODE_KEY')
            throw constraintFailed(item, `node ${node.id} lacks ${props.join(', ')}`);
          continue;
        }
        const key = JSON.stringify(props.map((p) => String(node.properties[p])));
        if (seen.has(key)) throw constraintFailed(item, `both nodes share the value ${key}`);
        seen.add(key);
      }
    }
    if (item.type === 'NODE_PROPERTY_EXISTENCE') {
      const missing = nodes.find((n) => n.properties[props[0]!] === undefined);
      if (missing) throw constraintFailed(item, `node ${missing.id} lacks ${props[0]}`);
    }
  }
}

class DoubleSession implements Neo4jSessionLike {
  private closed = false;

  constructor(
    private readonly server: Neo4jDouble,
    private readonly database: string,
    private readonly lossy: boolean,
  ) {}

  executeRead<T>(work: (tx: Neo4jQueryRunner) => Promise<T>): Promise<T> {
    return this.managed('READ', work);
  }

  executeWrite<T>(work: (tx: Neo4jQueryRunner) => Promise<T>): Promise<T> {
    return this.managed('WRITE', work);
  }

  async run(query: string, parameters?: Record<string, unknown>): Promise<Neo4jQueryResultLike> {
    this.open();
    const tx = this.server.begin(this.database, 'AUTO');
    try {
      const result = this.records(this.server.execute(tx, query, parameters));
      tx.record.outcome = 'committed';
      return result;
    } catch (error) {
      rollback(tx);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async managed<T>(access: 'READ' | 'WRITE', work: (tx: Neo4jQueryRunner) => Promise<T>): Promise<T> {
    this.open();
    for (let attempt = 1; ; attempt++) {
      const tx = this.server.begin(this.database, access);
      let active = true;
      const runner: Neo4jQueryRunner = {
        run: async (query, parameters) => {
          if (!active)
            throw serverError('Neo.ClientError.Transaction.TransactionNotFound', 'Transaction is closed');
          return this.records(this.server.execute(tx, query, parameters));
        },
      };
      try {
        const result = await work(runner);
        active = false;
        tx.record.outcome = 'committed';
        return result;
      } catch (error) {
        active = false;
        rollback(tx);
        const transient = error instanceof Neo4jError && error.code.startsWith(TRANSIENT);
        if (!transient || attempt >= 3) throw error;
      }
    }
  }

  private records(rows: Rows): Neo4jQueryResultLike {
    return {
      records: rows.rows.map((values) => new Neo4jRecord(rows.keys, this.lossy ? values.map(lossy) : values)),
    };
  }

  private open(): void {
    if (this.closed) throw serverError('Neo.ClientError.Request.Invalid', 'Session is closed');
  }
}

function rollback(tx: TxState): void {
  for (const undo of tx.undo.reverse()) undo();
  tx.undo = [];
  tx.record.outcome = 'rolled back';
}

function g(tx: TxState): InMemoryGraph {
  if (!tx.graph)
    throw serverError('Neo.ClientError.Statement.NotSystemDatabaseError', 'not a system command');
  return tx.graph;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function limit(p: Record<string, unknown>): number {
  const value = p['limit'];
  if (!isInt(value) || value.isNegative()) {
    throw serverError(
      'Neo.ClientError.Statement.ArgumentError',
      `LIMIT: Invalid input. '${String(value)}' is not a valid value. Must be a non-negative integer.`,
    );
  }
  return value.toNumber();
}

function stringParam(p: Record<string, unknown>, name: string): string {
  const value = p[name];
  if (typeof value !== 'string')
    throw serverError(
      'Neo.ClientError.Statement.ParameterMissing',
      `Expected parameter(s): ${name} (a STRING)`,
    );
  return value;
}

function integerParam(p: Record<string, unknown>, name: string): number {
  const value = p[name];
  if (!isInt(value))
    throw serverError(
      'Neo.ClientError.Statement.ParameterMissing',
      `Expected parameter(s): ${name} (an INTEGER)`,
    );
  return value.toNumber();
}

function rowsParam(p: Record<string, unknown>): Record<string, unknown>[] {
  const rows = p['rows'];
  if (!Array.isArray(rows))
    throw serverError('Neo.ClientError.Statement.ParameterMissing', 'Expected parameter(s): rows');
  return rows.map((r) => mapParam(r, 'row'));
}

function mapParam(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainMap(value)) {
    throw serverError('Neo.ClientError.Statement.TypeError', `Expected ${what} to be a map`);
  }
  return value as Record<string, unknown>;
}

function isPlainMap(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** What Bolt packing does to parameters: bigint becomes Integer; maps and lists are copied. */
function bolt(value: unknown): unknown {
  if (typeof value === 'bigint') return int(value.toString());
  if (Array.isArray(value)) return value.map(bolt);
  if (value instanceof Int8Array) return value.slice();
  if (typeof value === 'object' && value !== null && isPlainMap(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bolt(v)]));
  }
  return value;
}

function copyMap(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, bolt(v)]));
}

/** The storable kind of a value, or undefined (Cypher manual, "Property values"). */
function kindOf(value: unknown): string | undefined {
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'string') return 'STRING';
  if (typeof value === 'number') return 'FLOAT';
  if (isInt(value)) return 'INTEGER';
  if (value instanceof Int8Array) return 'BYTES';
  if (isDuration(value)) return 'DURATION';
  if (isDateTime(value)) return 'ZONED DATETIME';
  if (isLocalDateTime(value)) return 'LOCAL DATETIME';
  if (isDate(value)) return 'DATE';
  if (isTime(value)) return 'ZONED TIME';
  if (isLocalTime(value)) return 'LOCAL TIME';
  if (isPoint(value)) return 'POINT';
  if (isVector(value)) return 'VECTOR';
  return undefined;
}

function checkStorable(value: unknown, key: string): void {
  const fail = (why: string) =>
    serverError(
      'Neo.ClientError.Statement.TypeError',
      `Property values can only be of primitive types or arrays thereof (${key}: ${why})`,
    );
  if (Array.isArray(value)) {
    const kinds = new Set(value.map(kindOf));
    if (kinds.has(undefined)) throw fail('list of non-storable values');
    if (kinds.has('BYTES') || kinds.has('VECTOR')) throw fail('list of byte arrays or vectors');
    if (kinds.size > 1) throw fail('Collections containing mixed types can not be stored in properties');
    return;
  }
  if (value instanceof Integer) return;
  if (kindOf(value) === undefined) throw fail(value === null ? 'null' : typeof value);
}

function lossy(value: unknown): unknown {
  if (isInt(value)) return value.toNumber();
  if (Array.isArray(value)) return value.map(lossy);
  if (typeof value === 'object' && value !== null && isPlainMap(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lossy(v)]));
  }
  return value;
}

function constraintFailed(item: SchemaItem, why: string): Neo4jError {
  return serverError(
    'Neo.ClientError.Schema.ConstraintValidationFailed',
    `Unable to create Constraint( name='${item.name}', type='${item.type}' ): ${why}`,
  );
}
