import { SHOW_DATABASES_QUERY } from './cypher.js';
import { driverError } from './driverError.js';
import type { Neo4jDriverLike } from './Neo4jDriverLike.js';

/** One database of the DBMS, from `SHOW DATABASES` (rows of a cluster merged by name). */
export interface DatabaseInfo {
  name: string;
  /** `system`, `standard` or `composite` (5.x); `system`/`standard` derived from the name on 4.4. */
  type: string;
  /** `online` when any server reports it online, else the first reported `currentStatus`. */
  status: string;
  /** Whether it is the DBMS's default database. */
  isDefault: boolean;
}

/**
 * Lists the databases with {@link SHOW_DATABASES_QUERY} on the `system` database (Neo4j 4.4+;
 * Community has `system` and one user database, `neo4j` by default).
 *
 * @throws BackupError `SOURCE_FAILED` when the query fails (connection, credentials, privilege).
 */
export async function listDatabases(driver: Neo4jDriverLike): Promise<DatabaseInfo[]> {
  const session = driver.session({ database: 'system', defaultAccessMode: 'READ' });
  try {
    const { records } = await session.run(SHOW_DATABASES_QUERY);
    const byName = new Map<string, DatabaseInfo>();
    for (const r of records) {
      const name = String(r.get('name'));
      const status = String(r.get('currentStatus'));
      const type = r.has('type') ? String(r.get('type')) : name === 'system' ? 'system' : 'standard';
      const seen = byName.get(name);
      if (seen) {
        if (status === 'online') seen.status = 'online';
        continue;
      }
      byName.set(name, { name, type, status, isDefault: r.has('default') && r.get('default') === true });
    }
    return [...byName.values()];
  } catch (error) {
    throw driverError(error, 'SOURCE_FAILED', 'Listing databases (SHOW DATABASES) failed');
  } finally {
    await session.close().catch(() => {});
  }
}
