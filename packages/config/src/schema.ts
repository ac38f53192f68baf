import { retentionPolicySchema } from '@backup/core';
import { neo4jJobOptionsSchema } from '@backup/neo4j/options';
import { postgresJobOptionsSchema } from '@backup/postgres/options';
import { qdrantJobOptionsSchema } from '@backup/qdrant/options';
import { redisJobOptionsSchema } from '@backup/redis/options';
import { z } from '@backup/zod';

/** Job names are path segments of the backup sets (`agentic/<job>/<id>/`). */
const jobName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/i,
    'must be 1-63 letters, digits, ".", "_" or "-" (it is a path segment)',
  );

/** `compression: zstd` or `compression: { algorithm: zstd, level: 3 }`. */
export const compressionConfigSchema = z.union([
  z.enum(['zstd', 'gzip', 'none']).transform((algorithm) => ({ algorithm })),
  z.object({
    algorithm: z.enum(['zstd', 'gzip', 'none']).default('zstd'),
    level: z.number().int().optional(),
  }),
]);

/** `storage:` for a local directory. */
export const fsStorageConfigSchema = z.object({
  type: z.literal('fs'),
  /** Directory; relative paths resolve against the config file's directory. */
  path: z.string().min(1),
  /**
   * `sync` (default): object bytes are written on the main thread (fastest on a local disk);
   * `async`: on the thread pool, for network file systems (NFS, EFS, CephFS). `FsStorageOptions.writes`.
   */
  writes: z.enum(['sync', 'async']).optional(),
});

/** `storage:` for S3, Garage, MinIO. Credentials come from the standard AWS environment/credential chain. */
export const s3StorageConfigSchema = z.object({
  type: z.literal('s3'),
  bucket: z.string().min(3),
  /** Key prefix; default `agentic` as in the seeds. */
  prefix: z.string().default('agentic'),
  /** Custom endpoint for Garage/MinIO, e.g. `http://garage.storage.svc:3900`. */
  endpoint: z.url().optional(),
  /** Region; Garage's default is `garage`. Default from AWS_REGION, else `us-east-1`. */
  region: z.string().optional(),
  /** Path-style URLs (Garage, MinIO). */
  forcePathStyle: z.boolean().optional(),
  /** Size in bytes of the first 1,000 multipart parts (default and min 5 MiB; doubles every 1,000 parts). */
  partSize: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .optional(),
  /** Parts uploaded in parallel (default 2). Memory bound ~ partSize x (queueSize + 1). */
  queueSize: z.number().int().min(1).max(64).optional(),
});

/** `storage:` either type. */
export const storageConfigSchema = z.discriminatedUnion('type', [
  fsStorageConfigSchema,
  s3StorageConfigSchema,
]);

/**
 * `encryption:` age public-key encryption (the backup side holds only `age1...` recipients) or a
 * scrypt passphrase. A recipients entry may hold several keys separated by commas or whitespace
 * (convenient with `${BACKUP_AGE_RECIPIENT}` from a Secret).
 */
export const encryptionConfigSchema = z
  .object({
    recipients: z
      .array(z.string())
      .transform((list) => list.flatMap((item) => item.split(/[\s,]+/)).filter((r) => r.length > 0))
      .optional(),
    passphrase: z.string().min(1).optional(),
  })
  .refine((e) => (e.recipients?.length ?? 0) > 0 !== (e.passphrase !== undefined), {
    message: 'give either recipients (age1... public keys) or a passphrase, not both or neither',
  });

/** `metrics:` where the cronjob publishes Prometheus metrics. */
export const metricsConfigSchema = z.object({
  /** Pushgateway base URL, e.g. `http://prometheus-pushgateway.monitoring.svc:9091`. */
  pushgateway: z.url().optional(),
  /** node-exporter textfile collector path ending in `.prom`. */
  textfile: z.string().endsWith('.prom').optional(),
});

/** Keys every job has, whatever its engine. */
const commonJobSchema = z.object({
  name: jobName,
  /** Overrides the top-level compression for this job. */
  compression: compressionConfigSchema.optional(),
  /** Overrides the top-level retention policy for this job. */
  retention: retentionPolicySchema.optional(),
});

/** A PostgreSQL job (`engine: postgres`). */
export const postgresJobConfigSchema = commonJobSchema
  .extend({ engine: z.literal('postgres') })
  .extend(postgresJobOptionsSchema.shape);

/** A Redis or FalkorDB job (`engine: redis`). */
export const redisJobConfigSchema = commonJobSchema
  .extend({ engine: z.literal('redis') })
  .extend(redisJobOptionsSchema.shape);

/** A Qdrant job (`engine: qdrant`). */
export const qdrantJobConfigSchema = commonJobSchema
  .extend({ engine: z.literal('qdrant') })
  .extend(qdrantJobOptionsSchema.shape);

/** A Neo4j job (`engine: neo4j`). */
export const neo4jJobConfigSchema = commonJobSchema
  .extend({ engine: z.literal('neo4j') })
  .extend(neo4jJobOptionsSchema.shape);

/** Any job, discriminated by `engine`: `postgres`, `redis`, `qdrant` or `neo4j`. */
export const jobConfigSchema = z.discriminatedUnion('engine', [
  postgresJobConfigSchema,
  redisJobConfigSchema,
  qdrantJobConfigSchema,
  neo4jJobConfigSchema,
]);

/** The whole config file. */
export const configSchema = z
  .object({
    storage: storageConfigSchema,
    compression: compressionConfigSchema.default({ algorithm: 'zstd' }),
    encryption: encryptionConfigSchema.optional(),
    /** Default retention policy; the seeds' 7 daily / 4 weekly / 12 monthly when absent. */
    retention: retentionPolicySchema.optional(),
    metrics: metricsConfigSchema.optional(),
    jobs: z.array(jobConfigSchema).min(1, 'at least one job is required'),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.jobs.forEach((job, i) => {
      if (seen.has(job.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['jobs', i, 'name'],
          message: `duplicate job name "${job.name}"`,
        });
      }
      seen.add(job.name);
    });
  });

/** A validated config. */
export type BackupConfig = z.infer<typeof configSchema>;
/** One validated job. */
export type JobConfig = z.infer<typeof jobConfigSchema>;
/** Validated storage settings. */
export type StorageConfig = z.infer<typeof storageConfigSchema>;
/** Validated encryption settings. */
export type EncryptionConfig = z.infer<typeof encryptionConfigSchema>;
/** Validated metrics settings. */
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;
/** Validated compression settings. */
export type CompressionConfig = z.infer<typeof compressionConfigSchema>;
