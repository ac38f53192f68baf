import { z } from '@backup/zod';

/** URI schemes neo4j-driver accepts; `+s` = TLS with system CAs, `+ssc` = TLS, any certificate. */
export const NEO4J_URI_SCHEME = /^(neo4j|bolt)(\+s|\+ssc)?:\/\//i;

/**
 * Zod schema of the Neo4j-specific keys of a YAML job, to be composed by `@backup/config` as
 * `{ name, engine: 'neo4j', ...neo4jJobOptionsSchema.shape }`. Keys and defaults mirror
 * `Neo4jEngineOptions`:
 *
 * ```yaml
 * - name: neo4j
 *   engine: neo4j
 *   uri: neo4j://neo4j.ai-platform:7687
 *   user: neo4j
 *   password: ${NEO4J_PASSWORD}
 *   databases: all          # or [neo4j, agents]; default all (system excluded)
 *   pageSize: 10000         # records per read transaction; default 10000
 *   tls:                    # only with neo4j:// or bolt:// (the +s/+ssc schemes set TLS)
 *     encrypted: true
 *     trust: custom         # system (default) | custom | all
 *     trustedCertificates: [/etc/neo4j-ca/ca.crt]
 * ```
 */
export const neo4jJobOptionsSchema = z.object({
  /** `neo4j://`, `neo4j+s://`, `neo4j+ssc://`, `bolt://`, `bolt+s://` or `bolt+ssc://` URI. */
  uri: z
    .string()
    .regex(
      NEO4J_URI_SCHEME,
      'must start with neo4j://, neo4j+s://, neo4j+ssc://, bolt://, bolt+s:// or bolt+ssc://',
    ),
  /** Basic-auth user. */
  user: z.string().min(1).optional(),
  /** Basic-auth password (use `${ENV}` interpolation). */
  password: z.string().optional(),
  /** `all` (every standard database) or a list of database names. */
  databases: z
    .union([z.literal('all'), z.array(z.string().min(1)).min(1, 'list at least one database, or use all')])
    .default('all'),
  /** Records per export page (one read transaction each). */
  pageSize: z.number().int().min(1).max(1_000_000).default(10_000),
  /** TLS for plain neo4j:// and bolt:// URIs. */
  tls: z
    .object({
      encrypted: z.boolean().optional(),
      trust: z.enum(['system', 'custom', 'all']).optional(),
      trustedCertificates: z.array(z.string().min(1)).min(1).optional(),
    })
    .strict()
    .optional(),
});

/** The Neo4j keys of a validated job (defaults applied). */
export type Neo4jJobOptions = z.infer<typeof neo4jJobOptionsSchema>;
