import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyRetentionPolicy } from '../src/retention/applyRetentionPolicy.js';
import type { RetentionPolicy } from '../src/retention/RetentionPolicy.js';
import { DEFAULT_RETENTION_POLICY } from '../src/retention/RetentionPolicy.js';

// restic's golden files, read from shared/ beside the repository (never copied into it).
const VECTORS_PATH =
  process.env['RETENTION_VECTORS'] ??
  new URL('../../../../shared/test-vectors/retention-restic.json', import.meta.url);

interface VectorCase {
  id: string;
  source: string;
  restic_flags: string;
  policy: Record<string, number | string>;
  keep_count: number;
  keep: string[];
  keep_index: number[];
  reasons: string[][];
}

interface VectorFile {
  input: string[];
  cases: VectorCase[];
  extra_datasets: Record<string, { input: string[]; cases: VectorCase[] }>;
}

const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile;

const OPTION_NAMES: Record<string, keyof RetentionPolicy> = {
  'keep-last': 'keepLast',
  'keep-hourly': 'keepHourly',
  'keep-daily': 'keepDaily',
  'keep-weekly': 'keepWeekly',
  'keep-monthly': 'keepMonthly',
  'keep-yearly': 'keepYearly',
  'keep-within': 'keepWithin',
};

function toPolicy(vectorPolicy: Record<string, number | string>): RetentionPolicy {
  const policy: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(vectorPolicy)) {
    const key = OPTION_NAMES[name];
    if (!key) throw new Error(`Unknown option ${name} in the vectors file`);
    policy[key] = value;
  }
  return policy as RetentionPolicy;
}

/** Backups with id = position in the vector input (`keep_index`). */
function toBackups(input: string[]) {
  return input.map((time, index) => ({ id: String(index), time: new Date(time) }));
}

/** A `now` 1 ms after the newest input: the vectors assume now is later than every timestamp. */
function nowAfter(input: string[]): Date {
  return new Date(Math.max(...input.map((t) => Date.parse(t))) + 1);
}

function checkCase(input: string[], vector: VectorCase) {
  const backups = toBackups(input);
  const result = applyRetentionPolicy(backups, toPolicy(vector.policy), { now: nowAfter(input) });

  expect(result.keep.map((k) => Number(k.backup.id))).toEqual(vector.keep_index);
  expect(result.keep.map((k) => k.backup.time.toISOString())).toEqual(
    vector.keep.map((t) => new Date(t).toISOString()),
  );
  expect(result.keep.map((k) => k.reasons)).toEqual(vector.reasons);
  expect(result.keep).toHaveLength(vector.keep_count);

  // Every input is in exactly one list; remove is newest first (ties in input order).
  const removedIds = result.remove.map((b) => Number(b.id));
  expect([...removedIds, ...vector.keep_index].sort((a, b) => a - b)).toEqual(input.map((_, i) => i));
  const expectedRemove = backups
    .filter((b) => !vector.keep_index.includes(Number(b.id)))
    .sort((a, b) => b.time.getTime() - a.time.getTime())
    .map((b) => Number(b.id));
  expect(removedIds).toEqual(expectedRemove);

  // The same object references come back.
  for (const kept of result.keep) expect(kept.backup).toBe(backups[Number(kept.backup.id)]);
}

describe('retention: restic test vectors (shared/test-vectors/retention-restic.json)', () => {
  it('has the restic test list and cases', () => {
    expect(vectors.input.length).toBeGreaterThan(0);
    expect(vectors.cases.length).toBeGreaterThan(0);
    expect(vectors.extra_datasets['docs_example']?.cases.length).toBeGreaterThan(0);
  });

  for (const vector of vectors.cases) {
    it(`${vector.id}: ${vector.restic_flags}`, () => checkCase(vectors.input, vector));
  }

  for (const [name, dataset] of Object.entries(vectors.extra_datasets)) {
    for (const vector of dataset.cases) {
      it(`${name}/${vector.id}: ${vector.restic_flags}`, () => checkCase(dataset.input, vector));
    }
  }

  it('keeps the same timestamps and reasons when the input order is reversed (only tie identity changes)', () => {
    const reversed = [...vectors.input].reverse();
    for (const vector of vectors.cases) {
      const result = applyRetentionPolicy(toBackups(reversed), toPolicy(vector.policy), {
        now: nowAfter(reversed),
      });
      expect(
        result.keep.map((k) => k.backup.time.toISOString()),
        vector.id,
      ).toEqual(vector.keep.map((t) => new Date(t).toISOString()));
      expect(
        result.keep.map((k) => k.reasons),
        vector.id,
      ).toEqual(vector.reasons);
    }
  });

  it('DEFAULT_RETENTION_POLICY is the seed policy and reproduces its computed vector', () => {
    expect(DEFAULT_RETENTION_POLICY).toEqual({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    const seed = vectors.cases.find(
      (c) => JSON.stringify(toPolicy(c.policy)) === JSON.stringify(DEFAULT_RETENTION_POLICY),
    );
    expect(seed).toBeDefined();
    const result = applyRetentionPolicy(toBackups(vectors.input), DEFAULT_RETENTION_POLICY, {
      now: nowAfter(vectors.input),
    });
    expect(result.keep.map((k) => Number(k.backup.id))).toEqual(seed!.keep_index);
    expect(result.keep.map((k) => k.reasons)).toEqual(seed!.reasons);
  });

  it('results do not depend on now when there is no keepWithin', () => {
    const policy = {
      keepLast: 2,
      keepHourly: 3,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      keepYearly: 3,
    };
    const a = applyRetentionPolicy(toBackups(vectors.input), policy, { now: nowAfter(vectors.input) });
    const b = applyRetentionPolicy(toBackups(vectors.input), policy, {
      now: new Date('2015-01-01T00:00:00Z'),
    });
    expect(b.keep.map((k) => [k.backup.id, k.reasons])).toEqual(a.keep.map((k) => [k.backup.id, k.reasons]));
  });
});
