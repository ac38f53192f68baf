// Choosing what to restore, with flags, with a scripted prompter (the injectable Prompter the app
// implements with @inquirer/prompts), and without a terminal; plus the small pure pieces of the flow.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  BackupError,
  BackupSetWriter,
  Catalog,
  FsStorage,
  isBackupError,
  resolveCompression,
} from '@backup/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckboxQuestion,
  type ConfirmQuestion,
  chooseJob,
  chooseSet,
  chooseUnits,
  confirmRestore,
  type DrillReport,
  estimateRestore,
  formatProgress,
  type Prompter,
  parseAsOf,
  type RestoreProgressEvent,
  type SelectQuestion,
  scratchDatabaseName,
  trackProgress,
} from '../src/index.js';

/** Answers questions from a script, in order, and records what was asked. */
class ScriptedPrompter implements Prompter {
  readonly asked: Array<{
    kind: string;
    message: string;
    flag: string;
    choices?: Array<{ value: unknown; name: string; checked?: boolean | undefined }>;
  }> = [];
  constructor(private readonly answers: unknown[]) {}
  private next(
    kind: string,
    question: { message: string; flag: string; choices?: never[] | unknown[] },
  ): unknown {
    this.asked.push({ kind, ...(question as { message: string; flag: string }) });
    if (this.answers.length === 0) throw new Error(`unexpected question: ${question.message}`);
    return this.answers.shift();
  }
  async select<T>(q: SelectQuestion<T>): Promise<T> {
    return this.next('select', q) as T;
  }
  async checkbox<T>(q: CheckboxQuestion<T>): Promise<T[]> {
    return this.next('checkbox', q) as T[];
  }
  async confirm(q: ConfirmQuestion): Promise<boolean> {
    return this.next('confirm', q) as boolean;
  }
}

let dir: string;
let catalog: Catalog;

async function makeSet(time: string): Promise<void> {
  const writer = await BackupSetWriter.create({
    storage: catalog.storage,
    job: 'pg',
    compression: resolveCompression({ algorithm: 'none' }),
    clock: () => new Date(time),
  });
  for (const unit of ['outline', 'langgraph']) {
    await writer.write({
      name: `${unit}.dump`,
      unit,
      mediaType: 'application/octet-stream',
      source: Readable.from([`${unit} ${time}`]),
    });
  }
  await writer.commit({
    engine: { name: 'postgres' },
    units: [
      { name: 'globals', kind: 'globals', metadata: {} },
      { name: 'outline', kind: 'database', metadata: {} },
      { name: 'langgraph', kind: 'database', metadata: {} },
    ],
  });
}

async function codeOf(promise: Promise<unknown>): Promise<[string, string]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBackupError(error)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return [error.code, error.message];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'choose-test-'));
  catalog = new Catalog(new FsStorage({ path: dir }));
  await makeSet('2026-01-20T02:00:00Z');
  await makeSet('2026-01-21T02:00:00Z');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('without a terminal every question needs its flag', () => {
  it('names --job and the configured jobs, the set argument and --as-of, and --yes', async () => {
    const [jobCode, jobMessage] = await codeOf(chooseJob({ jobs: ['pg', 'other'] }));
    expect(jobCode).toBe('CONFIG_INVALID');
    expect(jobMessage).toContain('--job NAME (configured jobs: pg, other)');
    const [setCode, setMessage] = await codeOf(chooseSet({ catalog, job: 'pg' }));
    expect(setCode).toBe('CONFIG_INVALID');
    expect(setMessage).toContain('--as-of');
    const [yesCode, yesMessage] = await codeOf(confirmRestore({ message: 'Restore?' }));
    expect(yesCode).toBe('CONFIG_INVALID');
    expect(yesMessage).toContain('--yes');
    expect(await confirmRestore({ message: 'Restore?', yes: true })).toBe(true);
  });

  it('answers with flags: the job, the set by id or --as-of, the units (all by default)', async () => {
    expect(await chooseJob({ jobs: ['pg'], job: 'pg' })).toBe('pg');
    expect((await chooseSet({ catalog, job: 'pg', set: 'latest' })).id).toBe('20260121-020000');
    expect((await chooseSet({ catalog, job: 'pg', asOf: '2026-01-21T01:59:59Z' })).id).toBe(
      '20260120-020000',
    );
    expect((await chooseSet({ catalog, job: 'pg', asOf: '2026-01-21 04:00+02:00' })).id).toBe(
      '20260121-020000',
    );
    const manifest = await chooseSet({ catalog, job: 'pg', set: '20260120-020000' });
    expect(await chooseUnits({ manifest, defaults: ['outline', 'langgraph'] })).toEqual([
      'outline',
      'langgraph',
    ]);
    expect(await chooseUnits({ manifest, units: ['langgraph'], defaults: [] })).toEqual(['langgraph']);
    const [code, message] = await codeOf(chooseUnits({ manifest, units: ['nope'], defaults: [] }));
    expect(code).toBe('NOT_FOUND');
    expect(message).toContain('(it has: globals, outline, langgraph)');
  });
});

describe('on a terminal the prompter asks what the flags did not say', () => {
  it('asks for the job, the set (newest first, latest marked) and the units (defaults checked), then confirms', async () => {
    const prompter = new ScriptedPrompter(['pg', '20260120-020000', ['outline'], false]);
    const job = await chooseJob({ jobs: ['pg', 'other'], prompter });
    const manifest = await chooseSet({ catalog, job, prompter });
    const units = await chooseUnits({ manifest, defaults: ['outline', 'langgraph'], prompter });
    const go = await confirmRestore({ message: 'Restore 1 unit(s)?', prompter });
    expect([job, manifest.id, units, go]).toEqual(['pg', '20260120-020000', ['outline'], false]);
    expect(prompter.asked.map((q) => [q.kind, q.flag])).toEqual([
      ['select', '--job'],
      ['select', '<set> or --as-of'],
      ['checkbox', '--database (repeatable) or --all'],
      ['confirm', '--yes'],
    ]);
    const sets = prompter.asked[1]!.choices!;
    expect(sets.map((c) => c.value)).toEqual(['20260121-020000', '20260120-020000']);
    expect(sets[0]!.name).toContain('(latest)');
    expect(prompter.asked[2]!.choices!.map((c) => [c.value, c.checked])).toEqual([
      ['globals', false],
      ['outline', true],
      ['langgraph', true],
    ]);
  });

  it('does not ask what the flags answered', async () => {
    const prompter = new ScriptedPrompter([]);
    const manifest = await chooseSet({
      catalog,
      job: await chooseJob({ jobs: ['pg'], job: 'pg', prompter }),
      set: 'latest',
      prompter,
    });
    expect(await chooseUnits({ manifest, all: true, defaults: ['outline'], prompter })).toEqual(['outline']);
    expect(await confirmRestore({ message: '?', yes: true, prompter })).toBe(true);
    expect(prompter.asked).toEqual([]);
  });
});

describe('pieces', () => {
  it('parses --as-of as UTC unless an offset is given, and refuses dates without a time', () => {
    expect(parseAsOf('2026-01-21T02:30:00Z').toISOString()).toBe('2026-01-21T02:30:00.000Z');
    expect(parseAsOf('2026-01-21 02:30').toISOString()).toBe('2026-01-21T02:30:00.000Z');
    expect(parseAsOf('2026-01-21T04:30:00+02:00').toISOString()).toBe('2026-01-21T02:30:00.000Z');
    expect(parseAsOf('20260121-023000').toISOString()).toBe('2026-01-21T02:30:00.000Z');
    for (const bad of ['2026-01-21', 'yesterday', '2026-13-40T00:00:00Z']) {
      expect(() => parseAsOf(bad)).toThrow(BackupError);
    }
  });

  it('names scratch databases within 63 bytes, stable, and never without a prefix', () => {
    expect(scratchDatabaseName('drill_', 'postgresql', 'outline')).toBe('drill_postgresql_outline');
    const long = scratchDatabaseName('drill_', 'postgresql', `${'données_'.repeat(10)}x`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long.startsWith('drill_postgresql_')).toBe(true);
    expect(scratchDatabaseName('drill_', 'postgresql', `${'données_'.repeat(10)}x`)).toBe(long);
    expect(scratchDatabaseName('drill_', 'postgresql', `${'données_'.repeat(10)}y`)).not.toBe(long);
    expect(() => scratchDatabaseName('', 'postgresql', 'outline')).toThrow(/prefix must not be empty/);
  });

  it('estimates from the newest passed drill when there is one, else from the default rate', () => {
    const mib = 1024 * 1024;
    expect(
      estimateRestore({ storedBytes: 10 * mib, plaintextBytes: 40 * mib, verifyFirst: false }),
    ).toMatchObject({
      basis: 'default',
      seconds: 2,
    });
    const drill = {
      ok: true,
      setId: '20260121-020000',
      finishedAt: 'x',
      rtoSeconds: 10,
      bytes: { stored: 0, plaintext: 100 * mib },
    } as DrillReport;
    const measured = estimateRestore({
      storedBytes: 50 * mib,
      plaintextBytes: 40 * mib,
      verifyFirst: true,
      drill,
    });
    expect(measured).toMatchObject({
      basis: 'drill',
      bytesPerSecond: 10 * mib,
      verifySeconds: 1,
      seconds: 5,
    });
    expect(
      estimateRestore({
        storedBytes: 0,
        plaintextBytes: 1,
        verifyFirst: false,
        drill: { ...drill, ok: false },
      }).basis,
    ).toBe('default');
  });

  it('turns per-artifact byte counters into phase totals with rate and ETA', () => {
    let now = 0;
    const events: RestoreProgressEvent[] = [];
    const update = trackProgress(
      'restore',
      400,
      (e) => events.push(e),
      () => now,
    );
    now = 1000;
    update('a.dump.zst', 100);
    now = 2000;
    update('a.dump.zst', 150);
    update('b.dump.zst', 50);
    expect(events.at(-1)).toMatchObject({
      phase: 'restore',
      artifact: 'b.dump.zst',
      bytes: 200,
      bytesPerSecond: 100,
      etaSeconds: 2,
    });
    expect(formatProgress(events.at(-1)!)).toBe('restore  b.dump.zst  200 B / 400 B  100 B/s  ETA 2s');
  });
});
