import { isBackupError, MANIFEST_FORMAT_VERSION, type Manifest } from '@backup/core';
import { describe, expect, it } from 'vitest';
import {
  type BaseBackupInfo,
  baseBackupInfo,
  CLUSTER_UNIT,
  POSTGRES_BASE_BACKUP_MEDIA_TYPE,
  parseLsn,
  parseRecoveryTarget,
  parseTimelineHistory,
  planPitr,
  recoverySettings,
  segmentOf,
  shellQuote,
  walFileName,
} from '../src/index.js';

/** The manifest `backup run` writes for a physical set (only the fields planning reads vary). */
function base(
  id: string,
  facts: { timeline?: number; startLsn: string; stopLsn: string; stopTime: string; nextXid?: string },
): BaseBackupInfo {
  const timeline = facts.timeline ?? 1;
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    id,
    job: 'pg',
    engine: { name: 'postgres', version: '15.8', metadata: { mode: 'physical' } },
    tool: { name: '@backup/core', version: '0.1.0' },
    startedAt: '2026-01-21T02:00:00.000Z',
    finishedAt: facts.stopTime,
    units: [
      {
        name: CLUSTER_UNIT,
        kind: CLUSTER_UNIT,
        metadata: {
          startLsn: facts.startLsn,
          stopLsn: facts.stopLsn,
          timeline,
          stopTimeline: timeline,
          startWalFile: walFileName(timeline, segmentOf(parseLsn(facts.startLsn))),
          systemIdentifier: '7300000000000000001',
          serverVersionNum: 150008,
          walSegmentSize: 16777216,
          startTime: '2026-01-21T02:00:00.000Z',
          stopTime: facts.stopTime,
          ...(facts.nextXid ? { nextXid: facts.nextXid } : {}),
        },
      },
    ],
    artifacts: [
      {
        name: 'base.tar.zst',
        key: `pg/${id}/base.tar.zst`,
        unit: CLUSTER_UNIT,
        mediaType: POSTGRES_BASE_BACKUP_MEDIA_TYPE,
        plaintextBytes: 1,
        storedBytes: 1,
        plaintextSha256: 'a'.repeat(64),
        storedSha256: 'b'.repeat(64),
        compression: { algorithm: 'zstd', level: 3 },
        encryption: null,
        metadata: {},
      },
    ],
  };
  return baseBackupInfo(manifest)!;
}

const monday = base('20260119-020000', {
  startLsn: '0/10000028',
  stopLsn: '0/10000100',
  stopTime: '2026-01-19T02:01:00.000Z',
  nextXid: '1000',
});
const tuesday = base('20260120-020000', {
  startLsn: '0/20000028',
  stopLsn: '0/20000100',
  stopTime: '2026-01-20T02:01:00.000Z',
  nextXid: '2000',
});
const wednesday = base('20260121-020000', {
  startLsn: '0/30000028',
  stopLsn: '0/30000100',
  stopTime: '2026-01-21T02:01:00.000Z',
  nextXid: '3000',
});
const bases = [tuesday, wednesday, monday];
const none = new Map();

describe('parseRecoveryTarget', () => {
  it('accepts one target with a time zone and keeps the text the server will parse', () => {
    const t = parseRecoveryTarget({ targetTime: '2026-01-20 14:30:00.123456+02' });
    expect(t).toMatchObject({ kind: 'time', value: '2026-01-20 14:30:00.123456+02' });
    expect(t.kind === 'time' && t.time.toISOString()).toBe('2026-01-20T12:30:00.123Z');
    const z = parseRecoveryTarget({ targetTime: '2026-01-20T12:30:00Z' });
    expect(z.kind === 'time' && z.time.toISOString()).toBe('2026-01-20T12:30:00.000Z');
    const utc = parseRecoveryTarget({ targetTime: '2026-01-20 12:30 UTC' });
    expect(utc.kind === 'time' && utc.time.toISOString()).toBe('2026-01-20T12:30:00.000Z');
    expect(parseRecoveryTarget({ targetLsn: '0/16B3748' })).toMatchObject({ kind: 'lsn', lsn: 0x16b3748n });
    expect(parseRecoveryTarget({ targetXid: '4711' })).toMatchObject({ kind: 'xid', xid: 4711n });
    expect(parseRecoveryTarget({ latest: true })).toEqual({ kind: 'latest' });
  });

  it('refuses none, several, zone-less times and malformed values with CONFIG_INVALID', () => {
    for (const flags of [
      {},
      { latest: true, targetLsn: '0/1' },
      { targetTime: '2026-01-20 14:30:00' },
      { targetLsn: '16B3748' },
      { targetXid: 'abc' },
    ]) {
      const error = (() => {
        try {
          parseRecoveryTarget(flags);
        } catch (e) {
          return e;
        }
      })();
      expect(isBackupError(error, 'CONFIG_INVALID'), JSON.stringify(flags)).toBe(true);
    }
  });
});

describe('planPitr', () => {
  it('takes the newest base backup that ended before a time, an LSN or an xid', () => {
    const at = (flags: Parameters<typeof parseRecoveryTarget>[0]) =>
      planPitr({ bases, histories: none, target: parseRecoveryTarget(flags) }).base.id;
    expect(at({ targetTime: '2026-01-20 12:00:00+00' })).toBe(tuesday.id);
    expect(at({ targetTime: '2026-01-21T02:01:00Z' })).toBe(wednesday.id);
    expect(at({ targetLsn: '0/2FFFFFFF' })).toBe(tuesday.id);
    expect(at({ targetLsn: '0/20000100' })).toBe(tuesday.id);
    expect(at({ targetXid: '2999' })).toBe(tuesday.id);
    expect(at({ latest: true })).toBe(wednesday.id);
  });

  it('fails with NOT_FOUND for a target before every base backup, naming the oldest', () => {
    const error = (() => {
      try {
        planPitr({
          bases,
          histories: none,
          target: parseRecoveryTarget({ targetTime: '2026-01-18T00:00:00Z' }),
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(isBackupError(error, 'NOT_FOUND')).toBe(true);
    expect(error!.message).toContain(monday.id);
  });

  it('follows timelines: a base after the branch point of the latest timeline is skipped', () => {
    // Timeline 2 was created by a PITR that branched off timeline 1 at 0/28000000.
    const histories = new Map([[2, parseTimelineHistory('1\t0/28000000\tbefore 2026-01-20 20:00:00+00\n')]]);
    const plan = planPitr({ bases, histories, target: parseRecoveryTarget({ latest: true }) });
    expect(plan.base.id).toBe(tuesday.id);
    expect(plan).toMatchObject({ timeline: 2, recoveryTargetTimeline: 'latest' });
    // Following timeline 1 itself, Wednesday's backup is fine again.
    expect(planPitr({ bases, histories, target: { kind: 'latest' }, targetTimeline: 1 }).base.id).toBe(
      wednesday.id,
    );
    // A base backup taken on timeline 2 is the newest choice there.
    const onTwo = base('20260122-020000', {
      timeline: 2,
      startLsn: '0/40000028',
      stopLsn: '0/40000100',
      stopTime: '2026-01-22T02:01:00.000Z',
    });
    expect(planPitr({ bases: [...bases, onTwo], histories, target: { kind: 'latest' } }).base.id).toBe(
      onTwo.id,
    );
  });

  it('checks a base chosen with --base', () => {
    expect(planPitr({ bases, histories: none, target: { kind: 'latest' }, baseId: monday.id }).base.id).toBe(
      monday.id,
    );
    const late = (() => {
      try {
        planPitr({
          bases,
          histories: none,
          target: parseRecoveryTarget({ targetLsn: '0/1' }),
          baseId: monday.id,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(isBackupError(late, 'CONFIG_INVALID')).toBe(true);
  });
});

describe('recoverySettings and parseTimelineHistory', () => {
  it('writes one target, the timeline, the action and a quoted restore_command', () => {
    const text = recoverySettings({
      restoreCommand: `${shellQuote("/opt/it's here/node")} /app/bin.js wal-fetch %f %p --job pg`,
      target: parseRecoveryTarget({ targetTime: '2026-01-20 14:30:00+00' }),
      timeline: 'latest',
      inclusive: false,
      extra: { archive_mode: 'off' },
      comment: 'restored',
    });
    expect(text).toBe(
      [
        '# restored',
        `restore_command = '''/opt/it''\\\\''''s here/node'' /app/bin.js wal-fetch %f %p --job pg'`,
        "recovery_target_time = '2026-01-20 14:30:00+00'",
        "recovery_target_timeline = 'latest'",
        "recovery_target_action = 'promote'",
        "recovery_target_inclusive = 'off'",
        "archive_mode = 'off'",
        '',
      ].join('\n'),
    );
    const latest = recoverySettings({ restoreCommand: 'x %f %p', target: { kind: 'latest' }, timeline: '2' });
    expect(latest).not.toContain('recovery_target_action');
    expect(latest).not.toMatch(/recovery_target_(time|lsn|xid|name) /);
  });

  it('parses history files and refuses malformed ones', () => {
    expect(
      parseTimelineHistory('1\t0/3000000\tno recovery target specified\n\n2\t0/5000A28\tbefore x\n'),
    ).toEqual([
      { timeline: 1, switchpoint: parseLsn('0/3000000'), reason: 'no recovery target specified' },
      { timeline: 2, switchpoint: parseLsn('0/5000A28'), reason: 'before x' },
    ]);
    expect(() => parseTimelineHistory('2\t0/1\n1\t0/2\n')).toThrow(/increasing/);
  });
});
