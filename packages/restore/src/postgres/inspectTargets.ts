import type { EngineContext } from '@backup/core';
import { type PsqlConnection, psqlConnection } from './psqlConnection.js';
import { quoteLiteral } from './quoteIdentifier.js';
import { runPsql } from './runPsql.js';

/** State of one target database before a restore. */
export interface TargetDatabaseState {
  database: string;
  exists: boolean;
  /**
   * User objects found (as `@backup/postgres` `inspectDatabase` counts them: relations, functions,
   * types, large objects, extensions besides plpgsql, schemas besides public); empty when absent.
   */
  contents: Record<string, number>;
  /** True when it exists and holds none of the above. */
  empty: boolean;
}

/** Mirrors `@backup/postgres` `inspectDatabase`: what makes a database "not empty" for the engine. */
const CONTENTS_SQL = `
with ns as (select oid, nspname from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema')
select json_build_object(
  'relations', (select count(*) from pg_class where relnamespace in (select oid from ns)),
  'functions', (select count(*) from pg_proc where pronamespace in (select oid from ns)),
  'types', (select count(*) from pg_type where typnamespace in (select oid from ns)),
  'large objects', (select count(*) from pg_largeobject_metadata),
  'extensions besides plpgsql', (select count(*) from pg_extension where extname <> 'plpgsql'),
  'schemas besides public', (select count(*) from ns where nspname <> 'public'))::text;
`;

/**
 * Looks at the databases a restore would write to, changing nothing: which exist, and what the
 * existing ones hold. One psql call on the maintenance database, then one per existing target.
 * Throws `RESTORE_FAILED` when the server cannot be reached.
 */
export async function inspectTargets(
  psql: string,
  url: string | undefined,
  env: NodeJS.ProcessEnv,
  databases: readonly string[],
  ctx: EngineContext,
): Promise<TargetDatabaseState[]> {
  if (databases.length === 0) return [];
  const maintenance: PsqlConnection = psqlConnection(url, env, undefined);
  const list = databases.map(quoteLiteral).join(', ');
  const [found] = await runPsql(
    psql,
    maintenance,
    `select coalesce(json_agg(datname), '[]')::text from pg_database where datname in (${list});\n`,
    ctx,
  );
  const existing = new Set(JSON.parse(found ?? '[]') as string[]);
  const states: TargetDatabaseState[] = [];
  for (const database of databases) {
    if (!existing.has(database)) {
      states.push({ database, exists: false, contents: {}, empty: true });
      continue;
    }
    const [line] = await runPsql(psql, psqlConnection(url, env, database), CONTENTS_SQL, ctx);
    const contents = JSON.parse(line ?? '{}') as Record<string, number>;
    states.push({ database, exists: true, contents, empty: Object.values(contents).every((n) => n === 0) });
  }
  return states;
}
