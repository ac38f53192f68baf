import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the spec lives relative to a directory beside the repository: `shared/specs/...`. */
const SPEC = join('shared', 'specs', 'qdrant-openapi.json');

/**
 * Path of the official Qdrant OpenAPI spec (v1.19.0) the test double is validated against:
 * env `QDRANT_OPENAPI_SPEC`, else `shared/specs/qdrant-openapi.json` BESIDE the repository (CI
 * clones the repo with `shared/` next to it), found by walking up from this module (it runs from
 * `src/testing/` in this package's tests and from `dist/` through `@backup/qdrant/testing`). The
 * spec is never copied into the repository. When it is found nowhere, the path beside the
 * repository root is returned (reading it then fails with the path in the message).
 */
export function qdrantSpecPath(): string {
  const fromEnv = process.env['QDRANT_OPENAPI_SPEC'];
  if (fromEnv) return fromEnv;
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    const candidate = join(dir, SPEC);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return fileURLToPath(new URL(`../../../../${SPEC.split('\\').join('/')}`, import.meta.url));
}
