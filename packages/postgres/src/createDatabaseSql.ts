import pg from 'pg';

/** What {@link createDatabaseSql} needs: the recorded properties of the dumped database. */
export interface DatabaseProperties {
  /** Encoding name, e.g. `UTF8`. */
  encoding?: string | undefined;
  /** `LC_COLLATE`, e.g. `en_US.UTF-8`. */
  collate?: string | undefined;
  /** `LC_CTYPE`. */
  ctype?: string | undefined;
  /** `libc`, `icu` or `builtin`. */
  localeProvider?: string | undefined;
  /** ICU or builtin locale. */
  locale?: string | null | undefined;
  /** Owner role; omitted from the statement when undefined. */
  owner?: string | undefined;
}

/**
 * Builds `CREATE DATABASE "<name>" WITH TEMPLATE template0 ENCODING ... LC_COLLATE ... LC_CTYPE
 * ...` (PG15 `CREATE DATABASE`): template0 because the encoding and locale may differ from
 * template1's, and because a dump expects a pristine database. `LOCALE_PROVIDER icu ICU_LOCALE`
 * is added on servers >= 15 and `LOCALE_PROVIDER builtin BUILTIN_LOCALE` on servers >= 17 when
 * the source used them. Identifiers and literals are escaped with `pg`'s escape functions.
 *
 * @param targetVersionNum `server_version_num` of the server that will run it.
 */
export function createDatabaseSql(name: string, props: DatabaseProperties, targetVersionNum: number): string {
  const parts = [`CREATE DATABASE ${pg.escapeIdentifier(name)} WITH TEMPLATE template0`];
  if (props.encoding) parts.push(`ENCODING ${pg.escapeLiteral(props.encoding)}`);
  if (props.collate) parts.push(`LC_COLLATE ${pg.escapeLiteral(props.collate)}`);
  if (props.ctype) parts.push(`LC_CTYPE ${pg.escapeLiteral(props.ctype)}`);
  if (props.localeProvider === 'icu' && props.locale && targetVersionNum >= 150000) {
    parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${pg.escapeLiteral(props.locale)}`);
  }
  if (props.localeProvider === 'builtin' && props.locale && targetVersionNum >= 170000) {
    parts.push(`LOCALE_PROVIDER builtin BUILTIN_LOCALE ${pg.escapeLiteral(props.locale)}`);
  }
  if (props.owner) parts.push(`OWNER ${pg.escapeIdentifier(props.owner)}`);
  return parts.join(' ');
}
