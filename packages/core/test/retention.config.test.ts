import { describe, expect, it } from 'vitest';
import { isBackupError } from '../src/errors.js';
import { applyRetentionPolicy } from '../src/retention/applyRetentionPolicy.js';
import {
  formatRetentionDuration,
  isZeroRetentionDuration,
  parseRetentionDuration,
} from '../src/retention/RetentionDuration.js';
import { DEFAULT_RETENTION_POLICY } from '../src/retention/RetentionPolicy.js';
import { parseRetentionPolicy, retentionPolicySchema } from '../src/retention/retentionPolicySchema.js';

function configError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(isBackupError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('parseRetentionDuration / formatRetentionDuration (restic duration.go)', () => {
  it('parses every unit, m being months', () => {
    expect(parseRetentionDuration('1y2m3d4h')).toEqual({ years: 1, months: 2, days: 3, hours: 4 });
    expect(parseRetentionDuration('7d')).toEqual({ years: 0, months: 0, days: 7, hours: 0 });
    expect(parseRetentionDuration('2m')).toEqual({ years: 0, months: 2, days: 0, hours: 0 });
    expect(parseRetentionDuration('36h')).toEqual({ years: 0, months: 0, days: 0, hours: 36 });
  });

  it('accepts units in any order and lets a repeated unit overwrite the earlier value', () => {
    expect(parseRetentionDuration('1y1d1m')).toEqual({ years: 1, months: 1, days: 1, hours: 0 });
    expect(parseRetentionDuration('4h3d')).toEqual({ years: 0, months: 0, days: 3, hours: 4 });
    expect(parseRetentionDuration('1d2d')).toEqual({ years: 0, months: 0, days: 2, hours: 0 });
    expect(parseRetentionDuration('5d1h0d')).toEqual({ years: 0, months: 0, days: 0, hours: 1 });
  });

  it('treats empty, blank and all-zero text as the zero duration; trims surrounding spaces', () => {
    for (const text of ['', '   ', '0d', '0y0m0d0h']) {
      const d = parseRetentionDuration(text);
      expect(isZeroRetentionDuration(d), text).toBe(true);
      expect(formatRetentionDuration(d), text).toBe('');
    }
    expect(parseRetentionDuration(' 7d\n')).toEqual({ years: 0, months: 0, days: 7, hours: 0 });
    expect(isZeroRetentionDuration(parseRetentionDuration('1h'))).toBe(false);
  });

  it('formats in y m d h order, drops zero parts and does not normalise', () => {
    expect(formatRetentionDuration(parseRetentionDuration('1y1d1m'))).toBe('1y1m1d');
    expect(formatRetentionDuration(parseRetentionDuration('6d24h'))).toBe('6d24h');
    expect(formatRetentionDuration(parseRetentionDuration('13m'))).toBe('13m');
    expect(formatRetentionDuration({ years: 0, months: 0, days: 0, hours: 5 })).toBe('5h');
    expect(formatRetentionDuration({ years: 2, months: 0, days: 0, hours: 3 })).toBe('2y3h');
    expect(formatRetentionDuration(parseRetentionDuration('007d'))).toBe('7d');
  });

  it.each([
    ['2w', 'invalid unit "w"'],
    ['30min', 'no number found at "in"'], // 30m = 30 months, then "in"
    ['1Y', 'invalid unit "Y"'],
    ['-1d', 'negative'],
    ['1d-2h', 'negative'],
    ['5', 'no unit found after number 5'],
    ['d', 'no number found'],
    ['1y 2m', 'no number found'],
    ['1.5d', 'invalid unit "." found after number 1'],
    ['abc', 'no number found'],
    ['99999999999999999999d', 'too large'],
  ])('rejects %j with CONFIG_INVALID naming the field and the text (%s)', (text, why) => {
    const error = configError(() => parseRetentionDuration(text));
    expect(error.message).toContain('retention.keepWithin');
    expect(error.message).toContain(JSON.stringify(text));
    expect(error.message).toContain(why);
  });

  it('names the given field', () => {
    expect(configError(() => parseRetentionDuration('2w', 'jobs.pg.retention.keepWithin')).message).toMatch(
      /^jobs\.pg\.retention\.keepWithin must be a duration/,
    );
  });
});

describe('retentionPolicySchema / parseRetentionPolicy', () => {
  it('accepts the seed policy and an empty block', () => {
    expect(parseRetentionPolicy(DEFAULT_RETENTION_POLICY)).toEqual({
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
    });
    expect(parseRetentionPolicy({})).toEqual({});
  });

  it('turns "unlimited" into -1 and accepts -1 and 0', () => {
    expect(
      parseRetentionPolicy({
        keepLast: 'unlimited',
        keepHourly: -1,
        keepDaily: 0,
        keepYearly: 3,
        keepWithin: '1y2m',
      }),
    ).toEqual({ keepLast: -1, keepHourly: -1, keepDaily: 0, keepYearly: 3, keepWithin: '1y2m' });
  });

  it('produces a policy applyRetentionPolicy accepts', () => {
    const policy = parseRetentionPolicy({ keepLast: 'unlimited' });
    const input = [
      { id: 'a', time: new Date('2024-01-02T00:00:00Z') },
      { id: 'b', time: new Date('2024-01-01T00:00:00Z') },
    ];
    expect(applyRetentionPolicy(input, policy, { now: new Date('2025-01-01T00:00:00Z') }).remove).toEqual([]);
  });

  it.each([
    [{ keepDaily: -2 }, 'retention.keepDaily must be an integer >= -1'],
    [{ keepDaily: 1.5 }, 'retention.keepDaily must be an integer >= -1'],
    [{ keepWeekly: '4' }, 'retention.keepWeekly must be an integer >= -1'],
    [{ keepMonthly: 'forever' }, 'retention.keepMonthly must be an integer >= -1'],
    [{ keepHourly: null }, 'retention.keepHourly must be an integer >= -1'],
    [{ keepWithin: '2w' }, 'retention.keepWithin must be a duration'],
    [{ keepWithin: 7 }, 'retention.keepWithin must be a duration string'],
    [{ keepDialy: 7 }, 'retention has unknown field(s) keepDialy'],
  ])('rejects %j: %s', (value, message) => {
    expect(configError(() => parseRetentionPolicy(value)).message).toContain(message);
    expect(retentionPolicySchema.safeParse(value).success).toBe(false);
  });

  it('names the keepWithin text and the field path given', () => {
    const error = configError(() => parseRetentionPolicy({ keepWithin: '-3d' }, 'jobs.pg.retention'));
    expect(error.message).toContain('jobs.pg.retention.keepWithin');
    expect(error.message).toContain('"-3d"');
  });

  it('rejects a non-object', () => {
    expect(configError(() => parseRetentionPolicy('7d')).message).toMatch(/^retention /);
    expect(configError(() => parseRetentionPolicy(null)).message).toMatch(/^retention /);
  });
});
