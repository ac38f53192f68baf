import { BackupError } from '@backup/core';
import { createDatabaseQuery } from './cypher.js';
import { driverError } from './driverError.js';
import { listDatabases } from './listDatabases.js';
import type { Neo4jDriverLike } from './Neo4jDriverLike.js';
import type { ServerInfo } from './readServerInfo.js';

/**
 * Makes sure the restore target database exists: an existing standard database is used as is;
 * a missing one is created with `CREATE DATABASE ... IF NOT EXISTS WAIT` on Enterprise Edition.
 * Community Edition cannot create databases (it hosts one user database).
 *
 * @returns Whether the database was created.
 * @throws BackupError `RESTORE_FAILED` for a missing database on Community Edition, a system or
 *   composite database, or a failed `CREATE DATABASE`.
 */
export async function ensureDatabase(
  driver: Neo4jDriverLike,
  database: string,
  server: ServerInfo,
  label: string,
): Promise<boolean> {
  const existing = (await listDatabases(driver)).find((d) => d.name === database);
  if (existing) {
    if (existing.type !== 'standard') {
      throw new BackupError(
        'RESTORE_FAILED',
        `Database ${database} on ${label} is a ${existing.type} database`,
      );
    }
    return false;
  }
  if (server.edition !== 'enterprise') {
    throw new BackupError(
      'RESTORE_FAILED',
      `Database ${database} does not exist on ${label}, and ${server.edition} edition cannot create databases: ` +
        'restore into its existing database (option database, usually neo4j)',
    );
  }
  const session = driver.session({ database: 'system', defaultAccessMode: 'WRITE' });
  try {
    await session.run(createDatabaseQuery(database));
    return true;
  } catch (error) {
    throw driverError(error, 'RESTORE_FAILED', `Creating database ${database} on ${label} failed`);
  } finally {
    await session.close().catch(() => {});
  }
}
