import { afterEach, describe, expect, it } from 'vitest';
import { isBackupError } from '../src/errors.js';
import { applyRetentionPolicy } from '../src/retention/applyRetentionPolicy.js';
import { isEmptyPolicy, type RetentionPolicy } from '../src/retention/RetentionPolicy.js';

// Edge cases of retention.md sections 1.3 and 2 that restic's vectors do not pin down. Expected
// results are derived by hand from the spec; each comment gives the derivation.

const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

function backups(...times: string[]) {
  return times.map((time) => ({ id: time, time: new Date(time) }));
}

/** Kept ids with reasons, newest first. */
function kept(times: string[], policy: RetentionPolicy, now = FAR_FUTURE) {
  return applyRetentionPolicy(backups(...times), policy, { now }).keep.map((k) => [k.backup.id, k.reasons]);
}

function keptIds(times: string[], policy: RetentionPolicy, now = FAR_FUTURE) {
  return applyRetentionPolicy(backups(...times), policy, { now }).keep.map((k) => k.backup.id);
}

function expectConfigError(fn: () => unknown, ...fragments: string[]) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isBackupError(caught, 'CONFIG_INVALID'), String(caught)).toBe(true);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe('ISO weeks across a year end', () => {
  it('puts 2020-12-28..2021-01-03 in one week (2020-W53) and 2021-01-04 in the next', () => {
    const times = [
      '2021-01-04T10:00:00Z', // Mon, 2021-W01
      '2021-01-03T10:00:00Z', // Sun, 2020-W53
      '2021-01-01T10:00:00Z', // Fri, 2020-W53
      '2020-12-28T10:00:00Z', // Mon, 2020-W53
      '2020-12-27T10:00:00Z', // Sun, 2020-W52
      '2020-12-20T10:00:00Z', // Sun, 2020-W51
    ];
    // A calendar-year week number would split 2021-01-03 from 2020-12-28.
    expect(kept(times, { keepWeekly: 3 })).toEqual([
      ['2021-01-04T10:00:00Z', ['weekly snapshot']],
      ['2021-01-03T10:00:00Z', ['weekly snapshot']],
      ['2020-12-27T10:00:00Z', ['weekly snapshot']],
    ]);
  });

  it('puts 2024-12-30 (Mon) in 2025-W01 with 2025-01-05, and 2024-12-29 (Sun) in 2024-W52', () => {
    const times = ['2025-01-05T23:59:59Z', '2024-12-30T00:00:00Z', '2024-12-29T23:59:59Z'];
    expect(keptIds(times, { keepWeekly: 2 })).toEqual(['2025-01-05T23:59:59Z', '2024-12-29T23:59:59Z']);
  });

  it('keeps 2027-01-03 and 2026-12-28 together in 2026-W53 (a 53-week year)', () => {
    const times = [
      '2027-01-04T01:00:00Z',
      '2027-01-03T01:00:00Z',
      '2026-12-28T01:00:00Z',
      '2026-12-27T01:00:00Z',
    ];
    expect(keptIds(times, { keepWeekly: 3 })).toEqual([
      '2027-01-04T01:00:00Z',
      '2027-01-03T01:00:00Z',
      '2026-12-27T01:00:00Z',
    ]);
  });

  it('uses calendar years (not ISO week-years) for yearly and calendar months for monthly', () => {
    const times = ['2021-01-03T10:00:00Z', '2020-12-31T10:00:00Z', '2020-12-30T10:00:00Z'];
    // 2021-01-03 and 2020-12-31 share ISO week 2020-W53 but not the calendar year or month.
    expect(kept(times, { keepWeekly: 1, keepMonthly: 2, keepYearly: 2 })).toEqual([
      ['2021-01-03T10:00:00Z', ['weekly snapshot', 'monthly snapshot', 'yearly snapshot']],
      ['2020-12-31T10:00:00Z', ['monthly snapshot', 'yearly snapshot']],
    ]);
  });
});

describe('buckets are UTC, whatever the process time zone', () => {
  const original = process.env['TZ'];
  afterEach(() => {
    if (original === undefined) delete process.env['TZ'];
    else process.env['TZ'] = original;
  });

  it('splits days at 00:00 UTC even with TZ=Pacific/Kiritimati (+14) and America/Los_Angeles', () => {
    const times = ['2024-03-31T00:30:00Z', '2024-03-30T23:30:00Z', '2024-03-30T00:10:00Z'];
    // UTC days: 03-31 | 03-30 (two backups): keep 00:30 and 23:30.
    const expected = ['2024-03-31T00:30:00Z', '2024-03-30T23:30:00Z'];
    for (const tz of ['Pacific/Kiritimati', 'America/Los_Angeles', 'UTC']) {
      process.env['TZ'] = tz;
      expect(keptIds(times, { keepDaily: 2 }), tz).toEqual(expected);
    }
  });
});

describe('keep-within', () => {
  const latest = '2024-01-10T00:00:00Z';

  it('removes a backup exactly at the cut-off (strict >) and keeps one 1 ms later', () => {
    const times = [latest, '2024-01-03T00:00:00.001Z', '2024-01-03T00:00:00.000Z', '2024-01-02T23:59:59Z'];
    expect(kept(times, { keepWithin: '7d' })).toEqual([
      [latest, ['within 7d']],
      ['2024-01-03T00:00:00.001Z', ['within 7d']],
    ]);
  });

  it('subtracts hours as an absolute duration after the calendar part', () => {
    // 2024-03-10T05:00 - 1d = 03-09T05:00, - 6h = 03-08T23:00.
    const times = ['2024-03-10T05:00:00Z', '2024-03-08T23:00:01Z', '2024-03-08T23:00:00Z'];
    expect(keptIds(times, { keepWithin: '1d6h' })).toEqual(['2024-03-10T05:00:00Z', '2024-03-08T23:00:01Z']);
  });

  it('normalises like Go AddDate across month ends: 2024-03-31 minus 1m is 2024-03-02', () => {
    const times = [
      '2024-03-31T12:00:00Z',
      '2024-03-02T12:00:00.001Z',
      '2024-03-02T12:00:00Z', // exactly the cut-off
      '2024-03-01T13:00:00Z', // inside if "1 month" were clamped to Feb 29 or were 30 days
    ];
    expect(keptIds(times, { keepWithin: '1m' })).toEqual([
      '2024-03-31T12:00:00Z',
      '2024-03-02T12:00:00.001Z',
    ]);
    // 30d reaches further back than 1m here: cut-off 2024-03-01T12:00.
    expect(keptIds(times, { keepWithin: '30d' })).toEqual([
      '2024-03-31T12:00:00Z',
      '2024-03-02T12:00:00.001Z',
      '2024-03-02T12:00:00Z',
      '2024-03-01T13:00:00Z',
    ]);
  });

  it('normalises Feb 29 minus 1y to Mar 1 of the previous year', () => {
    // 2024-02-29T10:00 AddDate(-1, 0, 0) = "2023-02-29" = 2023-03-01T10:00.
    const times = [
      '2024-02-29T10:00:00Z',
      '2023-03-01T10:00:00.001Z',
      '2023-03-01T10:00:00Z',
      '2023-02-28T23:00:00Z', // inside if the year were clamped to Feb 28
    ];
    expect(keptIds(times, { keepWithin: '1y' })).toEqual([
      '2024-02-29T10:00:00Z',
      '2023-03-01T10:00:00.001Z',
    ]);
  });

  it('normalises 2025-03-29 minus 1m ("Feb 29" of a non-leap year) to 2025-03-01', () => {
    const times = [
      '2025-03-29T00:00:00Z',
      '2025-03-01T00:00:01Z',
      '2025-03-01T00:00:00Z',
      '2025-02-28T12:00:00Z',
    ];
    expect(keptIds(times, { keepWithin: '1m' })).toEqual(['2025-03-29T00:00:00Z', '2025-03-01T00:00:01Z']);
  });

  it('crosses a year going back in months: 2024-01-15 minus 2m is 2023-11-15', () => {
    const times = ['2024-01-15T08:00:00Z', '2023-11-15T08:00:01Z', '2023-11-15T08:00:00Z'];
    expect(keptIds(times, { keepWithin: '2m' })).toEqual(['2024-01-15T08:00:00Z', '2023-11-15T08:00:01Z']);
  });

  it('shows the normalised duration in the reason (1y1d1m -> within 1y1m1d)', () => {
    expect(kept(['2024-01-15T08:00:00Z'], { keepWithin: '1y1d1m' })).toEqual([
      ['2024-01-15T08:00:00Z', ['within 1y1m1d']],
    ]);
  });

  it('is measured from the newest backup strictly before now, not from now', () => {
    const now = new Date('2024-06-01T00:00:00Z');
    const times = ['2024-05-01T00:00:00Z', '2024-04-25T00:00:00Z', '2024-04-23T00:00:00Z'];
    // latest = 05-01, cut-off 04-24: 04-25 kept although it is 37 days before now.
    expect(keptIds(times, { keepWithin: '7d' }, now)).toEqual([
      '2024-05-01T00:00:00Z',
      '2024-04-25T00:00:00Z',
    ]);
  });

  it('does not use a backup exactly at now as the reference (strict <)', () => {
    const now = new Date('2024-06-01T00:00:00Z');
    const times = ['2024-06-01T00:00:00Z', '2024-05-22T00:00:00Z', '2024-05-14T00:00:00Z'];
    // latest = 05-22 (06-01 is not before now), cut-off 05-15: 06-01 and 05-22 kept, 05-14 removed.
    // Were latest 06-01, the cut-off would be 05-25 and 05-22 would go.
    expect(keptIds(times, { keepWithin: '7d' }, now)).toEqual([
      '2024-06-01T00:00:00Z',
      '2024-05-22T00:00:00Z',
    ]);
  });
});

describe('backups dated in the future', () => {
  const now = new Date('2024-06-01T00:00:00Z');
  const times = ['2024-06-05T00:00:00Z', '2024-05-31T00:00:00Z', '2024-05-20T00:00:00Z'];

  it('keep-within always keeps them and ignores them for the reference', () => {
    // latest = 05-31 (06-05 is in the future), cut-off 05-24.
    expect(kept(times, { keepWithin: '7d' }, now)).toEqual([
      ['2024-06-05T00:00:00Z', ['within 7d']],
      ['2024-05-31T00:00:00Z', ['within 7d']],
    ]);
  });

  it('count rules do not ignore them: keep-last 1 keeps only the future backup', () => {
    expect(keptIds(times, { keepLast: 1 }, now)).toEqual(['2024-06-05T00:00:00Z']);
    expect(keptIds(times, { keepDaily: 1 }, now)).toEqual(['2024-06-05T00:00:00Z']);
  });

  it('keeps everything by keep-within when every backup is in the future (reference = year 1)', () => {
    const early = new Date('2020-01-01T00:00:00Z');
    expect(kept(times, { keepWithin: '1h' }, early)).toEqual(times.map((t) => [t, ['within 1h']]));
  });
});

describe('oldest-snapshot rule', () => {
  // Three UTC days; the oldest day has two backups.
  const times = [
    '2024-05-03T10:00:00Z',
    '2024-05-02T10:00:00Z',
    '2024-05-01T20:00:00Z',
    '2024-05-01T08:00:00Z', // oldest, same day as the one above
  ];

  it('keeps the oldest backup as "oldest daily snapshot" while a limited count is left', () => {
    expect(kept(times, { keepDaily: 5 })).toEqual([
      ['2024-05-03T10:00:00Z', ['daily snapshot']],
      ['2024-05-02T10:00:00Z', ['daily snapshot']],
      ['2024-05-01T20:00:00Z', ['daily snapshot']],
      ['2024-05-01T08:00:00Z', ['oldest daily snapshot']],
    ]);
  });

  it('does nothing once the count is used up', () => {
    expect(keptIds(times, { keepDaily: 3 })).toEqual(times.slice(0, 3));
    expect(keptIds(times, { keepDaily: 2 })).toEqual(times.slice(0, 2));
  });

  it('always applies for unlimited (-1): keep-daily unlimited keeps two backups of the oldest day', () => {
    expect(kept(times, { keepDaily: -1 })).toEqual([
      ['2024-05-03T10:00:00Z', ['daily snapshot']],
      ['2024-05-02T10:00:00Z', ['daily snapshot']],
      ['2024-05-01T20:00:00Z', ['daily snapshot']],
      ['2024-05-01T08:00:00Z', ['oldest daily snapshot']],
    ]);
  });

  it('uses the plain reason when the oldest backup starts a new bucket anyway', () => {
    const distinct = ['2024-05-03T10:00:00Z', '2024-05-02T10:00:00Z', '2024-05-01T10:00:00Z'];
    expect(kept(distinct, { keepDaily: 5 })).toEqual(distinct.map((t) => [t, ['daily snapshot']]));
  });

  it('applies per rule: each rule with count left adds its own "oldest" reason', () => {
    const sameMonth = ['2024-05-20T10:00:00Z', '2024-05-03T10:00:00Z'];
    expect(kept(sameMonth, { keepMonthly: 12, keepYearly: 1, keepWeekly: -1 })).toEqual([
      ['2024-05-20T10:00:00Z', ['weekly snapshot', 'monthly snapshot', 'yearly snapshot']],
      // yearly is used up (1), monthly has 11 left, weekly starts a new week.
      ['2024-05-03T10:00:00Z', ['weekly snapshot', 'oldest monthly snapshot']],
    ]);
  });

  it('keeps a lone backup with every active rule', () => {
    expect(kept(['2024-05-03T10:00:00Z'], { keepLast: 1, keepHourly: 1, keepWithin: '1d' })).toEqual([
      ['2024-05-03T10:00:00Z', ['within 1d', 'last snapshot', 'hourly snapshot']],
    ]);
  });
});

describe('counting and ties', () => {
  it('counts only buckets that have backups: keep-daily 3 reaches back months over gaps', () => {
    const times = [
      '2024-09-01T00:00:00Z',
      '2024-06-01T00:00:00Z',
      '2024-03-01T00:00:00Z',
      '2023-12-01T00:00:00Z',
    ];
    expect(keptIds(times, { keepDaily: 3 })).toEqual(times.slice(0, 3));
  });

  it('keeps the newest backup of each bucket, never the earliest', () => {
    const times = [
      '2024-05-02T23:00:00Z',
      '2024-05-02T01:00:00Z',
      '2024-05-01T23:00:00Z',
      '2024-05-01T01:00:00Z',
    ];
    expect(keptIds(times, { keepDaily: 1 })).toEqual(['2024-05-02T23:00:00Z']);
    expect(keptIds(times, { keepHourly: 3 })).toEqual(times.slice(0, 3));
  });

  it('sorts input in any order newest first, and returns remove newest first', () => {
    const times = [
      '2024-05-01T00:00:00Z',
      '2024-05-04T00:00:00Z',
      '2024-05-02T00:00:00Z',
      '2024-05-03T00:00:00Z',
    ];
    const input = backups(...times);
    const frozen = [...input];
    const result = applyRetentionPolicy(input, { keepLast: 1 }, { now: FAR_FUTURE });
    expect(result.keep.map((k) => k.backup.id)).toEqual(['2024-05-04T00:00:00Z']);
    expect(result.remove.map((b) => b.id)).toEqual([
      '2024-05-03T00:00:00Z',
      '2024-05-02T00:00:00Z',
      '2024-05-01T00:00:00Z',
    ]);
    expect(input).toEqual(frozen); // not mutated
  });

  it('breaks ties by input order: the earlier-listed backup counts as newer', () => {
    const t = new Date('2024-05-01T00:00:00Z');
    const a = { id: 'a', time: t };
    const b = { id: 'b', time: new Date(t) };
    const older = { id: 'c', time: new Date('2024-04-01T00:00:00Z') };
    const ids = (list: Array<{ id: string; time: Date }>, policy: RetentionPolicy) => {
      const result = applyRetentionPolicy(list, policy, { now: FAR_FUTURE });
      return {
        keep: result.keep.map((k) => [k.backup.id, k.reasons]),
        remove: result.remove.map((x) => x.id),
      };
    };
    expect(ids([a, b, older], { keepDaily: 1 })).toEqual({
      keep: [['a', ['daily snapshot']]],
      remove: ['b', 'c'],
    });
    expect(ids([b, a, older], { keepDaily: 1 })).toEqual({
      keep: [['b', ['daily snapshot']]],
      remove: ['a', 'c'],
    });
    expect(ids([older, b, a], { keepLast: 1 })).toEqual({
      keep: [['b', ['last snapshot']]],
      remove: ['a', 'c'],
    });
    // The second of a tie at the end of the list is the oldest: unlimited keeps it as "oldest".
    expect(ids([a, b], { keepDaily: -1 })).toEqual({
      keep: [
        ['a', ['daily snapshot']],
        ['b', ['oldest daily snapshot']],
      ],
      remove: [],
    });
  });

  it('keep-last -1 keeps everything, duplicates and future backups included, whatever else is set', () => {
    const times = [
      '2030-01-01T00:00:00Z',
      '2024-05-01T00:00:00Z',
      '2024-05-01T00:00:00Z',
      '2020-01-01T00:00:00Z',
    ];
    const result = applyRetentionPolicy(
      backups(...times),
      { keepLast: -1, keepYearly: 1 },
      {
        now: new Date('2025-01-01T00:00:00Z'),
      },
    );
    expect(result.remove).toEqual([]);
    expect(result.keep.map((k) => k.reasons)).toEqual([
      ['last snapshot', 'yearly snapshot'],
      ['last snapshot'],
      ['last snapshot'],
      ['last snapshot'],
    ]);
  });

  it('keep-last never says "oldest" (every backup is its own bucket)', () => {
    const times = ['2024-05-01T00:00:00Z', '2024-05-01T00:00:00Z'];
    expect(kept(times, { keepLast: 5 })).toEqual(times.map((t) => [t, ['last snapshot']]));
  });

  it('returns the caller objects with their extra fields (generic)', () => {
    const input = [{ id: 'x', time: new Date('2024-01-01T00:00:00Z'), bytes: 42 }];
    const result = applyRetentionPolicy(input, { keepLast: 1 }, { now: FAR_FUTURE });
    expect(result.keep[0]!.backup).toBe(input[0]);
    expect(result.keep[0]!.backup.bytes).toBe(42);
  });

  it('returns nothing for an empty list', () => {
    expect(applyRetentionPolicy([], { keepLast: 3, keepWithin: '1d' }, { now: FAR_FUTURE })).toEqual({
      keep: [],
      remove: [],
    });
  });
});

describe('empty and invalid policies', () => {
  it('isEmptyPolicy: all counts 0/absent and no non-zero keepWithin', () => {
    for (const policy of [
      {},
      { keepDaily: 0 },
      { keepWithin: '' },
      { keepWithin: '0d' },
      { keepLast: 0, keepWithin: '0y0h' },
    ]) {
      expect(isEmptyPolicy(policy), JSON.stringify(policy)).toBe(true);
    }
    for (const policy of [
      { keepLast: -1 },
      { keepYearly: 1 },
      { keepWithin: '1h' },
      { keepDaily: 0, keepWithin: '1d' },
    ]) {
      expect(isEmptyPolicy(policy), JSON.stringify(policy)).toBe(false);
    }
  });

  it('an empty policy keeps nothing (restic >= 0.17 ApplyPolicy)', () => {
    const result = applyRetentionPolicy(
      backups('2024-05-01T00:00:00Z', '2024-04-01T00:00:00Z'),
      {},
      { now: FAR_FUTURE },
    );
    expect(result.keep).toEqual([]);
    expect(result.remove.map((b) => b.id)).toEqual(['2024-05-01T00:00:00Z', '2024-04-01T00:00:00Z']);
  });

  it('rejects counts that are not integers >= -1, naming the field', () => {
    const one = backups('2024-05-01T00:00:00Z');
    for (const value of [-2, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '7', 'unlimited']) {
      expectConfigError(
        () => applyRetentionPolicy(one, { keepDaily: value as number }, { now: FAR_FUTURE }),
        'retention.keepDaily must be an integer >= -1',
      );
    }
    expectConfigError(
      () => isEmptyPolicy({ keepYearly: -5 }),
      'retention.keepYearly must be an integer >= -1',
    );
  });

  it('rejects a malformed keepWithin, naming the field and the text', () => {
    expectConfigError(
      () => applyRetentionPolicy(backups('2024-05-01T00:00:00Z'), { keepWithin: '2w' }, { now: FAR_FUTURE }),
      'retention.keepWithin',
      '"2w"',
    );
    expectConfigError(() => isEmptyPolicy({ keepWithin: '-1d' }), 'retention.keepWithin', '"-1d"');
  });

  it('rejects an invalid now', () => {
    expectConfigError(
      () => applyRetentionPolicy(backups('2024-05-01T00:00:00Z'), { keepLast: 1 }, { now: new Date('nope') }),
      'now',
    );
  });
});
