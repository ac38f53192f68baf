import { z } from '@backup/zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * Zod schema of `<job>/wal/<timeline>/<name>.json`, the record that commits one archived WAL file
 * (docs/format.md "Physical backups and WAL"). Created with `createExclusive` after the data
 * object, so its presence means the file is durably archived; it is never overwritten.
 */
export const walSidecarSchema = z.object({
  formatVersion: z.literal(1),
  /** WAL file name (`%f`). */
  name: z.string().min(1),
  kind: z.enum(['segment', 'partial', 'backup', 'history']),
  timeline: z.number().int().positive(),
  /** Key of the data object, relative to the repository root. */
  key: z.string().min(1),
  plaintextBytes: z.number().int().nonnegative(),
  plaintextSha256: sha256Hex,
  storedBytes: z.number().int().nonnegative(),
  storedSha256: sha256Hex,
  compression: z.object({ algorithm: z.enum(['zstd', 'gzip', 'none']), level: z.number().int().optional() }),
  encryption: z
    .object({ format: z.literal('age'), recipients: z.array(z.string()), passphrase: z.boolean() })
    .nullable(),
  /** System identifier from the segment's long page header (segments and partials only). */
  systemIdentifier: z.string().regex(/^\d+$/).optional(),
  /** When the push committed, ISO 8601 UTC. */
  pushedAt: z.iso.datetime(),
  tool: z.object({ name: z.string(), version: z.string() }),
});

/** A parsed WAL sidecar. */
export type WalSidecar = z.infer<typeof walSidecarSchema>;
