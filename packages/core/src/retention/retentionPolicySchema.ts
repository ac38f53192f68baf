import { z } from '@backup/zod';
import { BackupError } from '../errors.js';
import { parseRetentionDuration } from './RetentionDuration.js';
import type { RetentionPolicy } from './RetentionPolicy.js';

const COUNT_MESSAGE = 'must be an integer >= -1 (-1 or "unlimited" = keep all, 0 = off)';

/** A count: integer >= -1, or `unlimited` (stored as -1), as restic's `--keep-*` flags. */
const count = z
  .union([z.number().int(COUNT_MESSAGE).min(-1, COUNT_MESSAGE), z.literal('unlimited')], {
    error: COUNT_MESSAGE,
  })
  .transform((value) => (value === 'unlimited' ? -1 : value))
  .optional();

/** A `keepWithin` duration, checked with `parseRetentionDuration`. */
const duration = z
  .string({ error: 'must be a duration string like 7d or 1y2m3d4h' })
  .superRefine((text, ctx) => {
    try {
      parseRetentionDuration(text);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: (error as Error).message.replace(/^retention\.keepWithin /, ''),
      });
    }
  })
  .optional();

/**
 * Zod schema of the `retention:` block of a job config (YAML/JSON), restic `forget` options
 * (`cmd/restic/cmd_forget.go`): `keepLast`, `keepHourly`, `keepDaily`, `keepWeekly`, `keepMonthly`,
 * `keepYearly` (integers >= -1 or the string `unlimited`, which becomes -1; 0 or absent = off) and
 * `keepWithin` (duration such as `7d` or `1y2m3d4h`, `m` = months, validated with
 * `parseRetentionDuration`). All fields are optional; unknown fields are rejected (a typo such as
 * `keepDialy` must not silently become an empty policy). Output: a {@link RetentionPolicy}.
 *
 * It does not reject the empty policy: use `isEmptyPolicy` (`planPrune` refuses to run it).
 */
export const retentionPolicySchema = z.strictObject({
  keepLast: count,
  keepHourly: count,
  keepDaily: count,
  keepWeekly: count,
  keepMonthly: count,
  keepYearly: count,
  keepWithin: duration,
});

/**
 * Validates a `retention:` config value with {@link retentionPolicySchema}.
 *
 * @param value - Parsed YAML/JSON.
 * @param field - Config path of the value, named in errors; default `retention`.
 * @returns The policy with `unlimited` turned into -1.
 * @throws BackupError `CONFIG_INVALID` naming the first offending field, e.g.
 *   `retention.keepDaily must be an integer >= -1 ...` or `retention.keepWithin must be a duration ...`.
 */
export function parseRetentionPolicy(value: unknown, field = 'retention'): RetentionPolicy {
  const result = retentionPolicySchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [field, ...issue.path.map(String)].join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `${path} has unknown field(s) ${issue.keys.join(', ')}; allowed: keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin`
      : `${path} ${issue.message}`;
  throw new BackupError('CONFIG_INVALID', message, { cause: result.error, details: { field: path } });
}
