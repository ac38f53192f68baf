/**
 * `host:port` of a Neo4j URI for logs, manifests and restore reports, never with credentials:
 * `neo4j+s://user:pw@db.example:7687/?x=1` -> `db.example:7687` (port 7687 when absent).
 * Returns `(injected driver)` when there is no URI.
 */
export function serverLabel(uri: string | undefined): string {
  if (uri === undefined) return '(injected driver)';
  try {
    const url = new URL(uri);
    return `${url.hostname}:${url.port === '' ? '7687' : url.port}`;
  } catch {
    return '(invalid uri)';
  }
}
