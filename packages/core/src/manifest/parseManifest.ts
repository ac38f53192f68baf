import { BackupError } from '../errors.js';
import { type Manifest, manifestSchema } from './schema.js';

/**
 * Parses and validates manifest JSON text. Throws `MANIFEST_INVALID` naming the file and the
 * first offending field (e.g. `artifacts[0].storedSha256`).
 */
export function parseManifest(text: string, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BackupError('MANIFEST_INVALID', `${source} is not valid JSON`, { cause: error });
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    throw new BackupError('MANIFEST_INVALID', `${source}: ${path || '(root)'}: ${issue.message}`, {
      cause: result.error,
    });
  }
  return result.data;
}
