/** Quotes an SQL identifier: `my "db"` -> `"my ""db"""` (as PostgreSQL's `quote_ident`, always quoted). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal: `it's` -> `'it''s'` (standard_conforming_strings, the default since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
