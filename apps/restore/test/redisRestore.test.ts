// backup-restore with a Redis job (engine: redis): the built binary against real redis-servers and a
// directory repository, scripted with flags: a network restore into an empty server and a file
// placement (--to-file), both checked against the key counts recorded at backup time.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, loadConfig } from '@backup/config';
import { FsStorage, type Manifest, resolveCompression, runBackup } from '@backup/core';
import { type ProcessResult, type RedisServer, runProcess, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function run(args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [BIN, ...args], { env });
}

let source: RedisServer;
let target: RedisServer;
let work: string;
let env: NodeJS.ProcessEnv;
let set: Manifest;

beforeAll(async () => {
  [source, target] = await Promise.all([startRedis(), startRedis()]);
  work = await mkdtemp(join(tmpdir(), 'restore-app-redis-'));
  await writeFile(
    join(work, 'backup.yaml'),
    `storage: { type: fs, path: ${join(work, 'repo')} }
jobs:
  - { name: cache, engine: redis, url: "\${REDIS_URL}" }
`,
  );
  env = {
    ...process.env,
    BACKUP_CONFIG: join(work, 'backup.yaml'),
    REDIS_URL: source.url(),
    LOG_LEVEL: 'warn',
  };
  const keys = ['MSET'];
  for (let i = 0; i < 30; i++) keys.push(`session:${i}`, `v${i}`);
  await source.cli(keys);
  const { config } = await loadConfig({ env });
  set = await runBackup({
    job: 'cache',
    engine: createEngine(config.jobs[0]!, env),
    storage: new FsStorage({ path: join(work, 'repo') }),
    compression: resolveCompression(config.compression),
  });
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup-restore of a Redis job', () => {
  it('restores latest into an empty server with --target --yes --json; the check compares the key counts', async () => {
    const result = await run(['latest', '--job', 'cache', '--target', target.url(), '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as {
      report: { ok: boolean; units: Array<{ unit: string; check: { ok: boolean; summary: string } }> };
    };
    expect(outcome.report.ok).toBe(true);
    expect(outcome.report.units.map((u) => [u.unit, u.check.summary])).toEqual([
      ['instance', '1 database(s), 30 keys: all match the backup'],
    ]);
    expect((await target.cli(['DBSIZE'])).trim()).toBe('30');
  });

  it('--to-file places the verified RDB in a directory (--unit picks the unit)', async () => {
    const dir = join(work, 'placed');
    await mkdir(dir);
    const result = await run(['latest', '--job', 'cache', '--unit', 'instance', '--to-file', dir, '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(join(dir, 'dump.rdb'))).size).toBe(set.artifacts[0]!.plaintextBytes);
  });
});
