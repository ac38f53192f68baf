import { BackupError } from '@backup/core';
import { SERVER_INFO_QUERY } from './cypher.js';
import { driverError } from './driverError.js';
import type { Neo4jDriverLike } from './Neo4jDriverLike.js';

/**
 * Which id the export writes and pages on: `elementId` (Neo4j 5+, where `id()` is deprecated) or
 * the legacy integer `id` (Neo4j 4.4, which has no `elementId()`).
 */
export type GraphIdKind = 'elementId' | 'id';

/** Facts about a Neo4j server, from `dbms.components()`. */
export interface ServerInfo {
  /** Component name, `Neo4j Kernel`. */
  name: string;
  /** Server version, e.g. `5.26.0`, `2025.01.0`, `4.4.40`. */
  version: string;
  /** `community` or `enterprise`. */
  edition: string;
  /** Major version (`5`, `2025`, `4`). */
  major: number;
  /** `elementId` from major 5 on, else `id`. */
  idKind: GraphIdKind;
}

/**
 * Reads the server's version and edition with {@link SERVER_INFO_QUERY} in a read transaction of
 * the user's home database, and checks that the driver returns integers losslessly.
 *
 * @throws BackupError `CONFIG_INVALID` when the driver is configured with
 *   `disableLosslessIntegers` (INTEGER properties would come back as floats) or the server is
 *   older than 4.4; `SOURCE_FAILED` (with `details.neo4jCode`) when the query fails (connection
 *   refused, bad credentials...).
 */
export async function readServerInfo(driver: Neo4jDriverLike): Promise<ServerInfo> {
  const session = driver.session({ defaultAccessMode: 'READ' });
  let records: Awaited<ReturnType<typeof readRecords>>;
  try {
    records = await readRecords(session);
  } catch (error) {
    throw driverError(error, 'SOURCE_FAILED', 'Reading the Neo4j server version (dbms.components) failed');
  } finally {
    await session.close().catch(() => {});
  }
  const kernel = records.find((r) => r.get('name') === 'Neo4j Kernel') ?? records[0];
  if (!kernel) throw new BackupError('SOURCE_FAILED', 'dbms.components() returned no rows');
  const probe = kernel.get('integerProbe');
  if (typeof probe === 'number') {
    throw new BackupError(
      'CONFIG_INVALID',
      'The neo4j driver is configured with disableLosslessIntegers: INTEGER properties would be read as ' +
        'floats. Use a driver with the default integer handling (or useBigInt)',
    );
  }
  const versions = kernel.get('versions') as unknown;
  const version = Array.isArray(versions) && typeof versions[0] === 'string' ? versions[0] : String(versions);
  const major = Number.parseInt(version, 10);
  const minor = Number.parseInt(version.split('.')[1] ?? '0', 10);
  if (!(major > 4 || (major === 4 && minor >= 4))) {
    throw new BackupError(
      'CONFIG_INVALID',
      `Neo4j ${version} is not supported: the neo4j engine needs 4.4 or later`,
    );
  }
  return {
    name: String(kernel.get('name')),
    version,
    edition: String(kernel.get('edition')),
    major,
    idKind: major >= 5 ? 'elementId' : 'id',
  };
}

async function readRecords(session: ReturnType<Neo4jDriverLike['session']>) {
  return session.executeRead(async (tx) => (await tx.run(SERVER_INFO_QUERY)).records);
}
