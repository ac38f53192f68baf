import type { Record as Neo4jRecord } from 'neo4j-driver';

/** What a query returns through the seam: the records (a driver `QueryResult` has more). */
export interface Neo4jQueryResultLike {
  records: Neo4jRecord[];
}

/**
 * Runs one query: a neo4j-driver `ManagedTransaction` (inside `executeRead`/`executeWrite`) or a
 * `Session` (auto-commit). The driver's `Result` is a `PromiseLike<QueryResult>`. Integer
 * parameters must be `Integer`s (see `cypher.ts`).
 */
export interface Neo4jQueryRunner {
  run(query: string, parameters?: Record<string, unknown>): PromiseLike<Neo4jQueryResultLike>;
}

/** Session options this package sets (a subset of the driver's `SessionConfig`). */
export interface Neo4jSessionConfig {
  /** Target database; default the user's home database. */
  database?: string;
  /** `READ` routes to readers in a cluster; `WRITE` to the leader. */
  defaultAccessMode?: 'READ' | 'WRITE';
}

/**
 * The part of a neo4j-driver `Session` this package uses. `executeRead`/`executeWrite` run the
 * work in one transaction, commit when it resolves, roll back when it throws and retry it on
 * transient errors (so the work must be repeatable); `run` is an auto-commit query (schema and
 * administration commands).
 */
export interface Neo4jSessionLike extends Neo4jQueryRunner {
  executeRead<T>(work: (tx: Neo4jQueryRunner) => Promise<T>): Promise<T>;
  executeWrite<T>(work: (tx: Neo4jQueryRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The seam between this package and Neo4j: the part of a neo4j-driver 6 `Driver` it uses. A real
 * `Driver` satisfies it (`createNeo4jEngine` builds one from `uri`); tests pass a double that
 * executes the statements of `cypher.ts` against an in-memory graph.
 */
export interface Neo4jDriverLike {
  session(config?: Neo4jSessionConfig): Neo4jSessionLike;
  close(): Promise<void>;
}
