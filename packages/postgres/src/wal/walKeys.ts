import type { WalFileName } from './walFileKind.js';

/** Folder of a job's archived WAL, relative to the repository root: `<job>/wal/`. */
export function walPrefix(job: string): string {
  return `${job}/wal/`;
}

/**
 * Key of the JSON sidecar that commits an archived WAL file (written last, never overwritten):
 * `<job>/wal/<timeline>/<name>.json`, e.g. `pg/wal/00000001/000000010000000000000002.json`.
 */
export function walSidecarKey(job: string, file: WalFileName): string {
  return `${job}/wal/${file.timelineHex}/${file.name}.json`;
}

/**
 * Key of the stored WAL file: `<job>/wal/<timeline>/<name>.<first 16 hex digits of the plaintext
 * sha256><pipeline suffixes>`, e.g. `pg/wal/00000001/000000010000000000000002.3f1c0a9be4d27c55.zst`.
 * Content-addressed, so a retried push of the same bytes lands on the same key and a different
 * content can never replace it.
 */
export function walObjectKey(
  job: string,
  file: WalFileName,
  plaintextSha256: string,
  suffix: string,
): string {
  return `${job}/wal/${file.timelineHex}/${file.name}.${plaintextSha256.slice(0, 16)}${suffix}`;
}
