import { joinKey } from '../storage/keys.js';

/** Name of the file that completes a backup set. */
export const MANIFEST_NAME = 'manifest.json';

/** Key prefix of a backup set: `<job>/<id>/` (relative to the storage root, which holds the prefix). */
export function setPrefix(job: string, id: string): string {
  return `${joinKey(job, id)}/`;
}

/** Key of a set's manifest: `<job>/<id>/manifest.json`. */
export function manifestKey(job: string, id: string): string {
  return joinKey(job, id, MANIFEST_NAME);
}
