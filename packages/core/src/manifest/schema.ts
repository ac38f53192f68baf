import { z } from '@backup/zod';

/** Current manifest format version; readers reject other versions with `MANIFEST_INVALID`. */
export const MANIFEST_FORMAT_VERSION = 1;

/** Backup set id: the UTC start time as `YYYYMMDD-HHMMSS` (the seeds' layout). */
export const SET_ID_PATTERN = /^\d{8}-\d{6}$/;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex sha256');
const metadata = z.record(z.string(), z.unknown());

/** Zod schema of one artifact entry in `manifest.json` (documented in docs/format.md). */
export const artifactRecordSchema = z.object({
  /** File name inside the set, with pipeline suffixes: `outline.dump.zst.age`. */
  name: z.string().min(1),
  /** Storage key relative to the repository root: `postgresql/20260121-020000/outline.dump.zst`. */
  key: z.string().min(1),
  /** The unit this artifact belongs to (database, collection...). */
  unit: z.string().min(1),
  /** Media type of the plaintext, e.g. `application/vnd.postgresql.custom-dump`. */
  mediaType: z.string().min(1),
  /** Size in bytes of the plaintext produced by the source. */
  plaintextBytes: z.number().int().nonnegative(),
  /** Size in bytes of the stored object. */
  storedBytes: z.number().int().nonnegative(),
  /** sha256 of the plaintext. */
  plaintextSha256: sha256Hex,
  /** sha256 of the stored object (what `sha256sum` of the downloaded file prints). */
  storedSha256: sha256Hex,
  compression: z.object({
    algorithm: z.enum(['zstd', 'gzip', 'none']),
    level: z.number().int().optional(),
  }),
  /** `null` when stored unencrypted. */
  encryption: z
    .object({
      format: z.literal('age'),
      recipients: z.array(z.string()),
      passphrase: z.boolean(),
    })
    .nullable(),
  /** Engine-specific facts about this artifact. */
  metadata: metadata.default({}),
});

/** Zod schema of a unit (database, collection...) recorded in the manifest. */
export const unitRecordSchema = z.object({
  name: z.string().min(1),
  /** Engine-defined kind: `database`, `globals`, `collection`, `instance`, `graph`... */
  kind: z.string().min(1),
  /** Engine facts at backup time (sizes, row/point/key counts) used by restore checks. */
  metadata: metadata.default({}),
});

/** Zod schema of `manifest.json`, the file written LAST that makes a backup set complete. */
export const manifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  /** Set id, `YYYYMMDD-HHMMSS` UTC. */
  id: z.string().regex(SET_ID_PATTERN, 'YYYYMMDD-HHMMSS'),
  /** Job name: the path segment under the repository root. */
  job: z.string().min(1),
  engine: z.object({
    /** Engine package name without scope: `postgres`, `redis`, `qdrant`, `neo4j`. */
    name: z.string().min(1),
    /** Server version of the source, e.g. `15.19`. */
    version: z.string().optional(),
    /** Engine-specific metadata (tool versions, topology...). */
    metadata: metadata.default({}),
  }),
  tool: z.object({ name: z.string(), version: z.string() }),
  /** ISO 8601 UTC start time. */
  startedAt: z.iso.datetime(),
  /** ISO 8601 UTC finish time (when the manifest was written). */
  finishedAt: z.iso.datetime(),
  units: z.array(unitRecordSchema),
  artifacts: z.array(artifactRecordSchema),
});

/** One artifact entry of a manifest. */
export type ArtifactRecord = z.infer<typeof artifactRecordSchema>;
/** One unit entry of a manifest. */
export type UnitRecord = z.infer<typeof unitRecordSchema>;
/** A parsed `manifest.json`. */
export type Manifest = z.infer<typeof manifestSchema>;
