import { fileURLToPath } from 'node:url';

/**
 * Path of the official Qdrant OpenAPI spec (v1.19.0) the test double is validated against:
 * env `QDRANT_OPENAPI_SPEC`, else `shared/specs/qdrant-openapi.json` BESIDE the repository (CI
 * clones the repo with `shared/` next to it). The spec is never copied into the repository.
 */
export function qdrantSpecPath(): string {
  return (
    process.env['QDRANT_OPENAPI_SPEC'] ??
    fileURLToPath(new URL('../../../../shared/specs/qdrant-openapi.json', import.meta.url))
  );
}
