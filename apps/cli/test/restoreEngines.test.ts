// `backup restore` beyond PostgreSQL logical sets, through the built CLI: a Redis job (engine: redis)
// backed up with `backup run` and restored with `backup restore latest --job redis --target ... --yes`
// against real redis-servers, and the routing of `backup restore --pitr` to the point-in-time recovery
// of `backup pitr-restore`.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ProcessResult, type RedisServer, runProcess, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function run(args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [bin, ...args], { env });
}

let source: RedisServer;
let target: RedisServer;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [source, target] = await Promise.all([
    startRedis({ config: { 'enable-debug-command': 'yes' } }),
    startRedis({ config: { 'enable-debug-command': 'yes' } }),
  ]);
  work = await mkdtemp(join(tmpdir(), 'cli-restore-engines-'));
  await writeFile(
    join(work, 'backup.yaml'),
    `storage: { type: fs, path: ${join(work, 'repo')} }
jobs:
  - { name: redis, engine: redis, url: "\${REDIS_URL}" }
  - { name: pg-physical, engine: postgres, mode: physical, url: "postgres://backup@127.0.0.1:1/postgres" }
`,
  );
  env = {
    ...process.env,
    BACKUP_CONFIG: join(work, 'backup.yaml'),
    REDIS_URL: source.url(),
    LOG_LEVEL: 'warn',
  };
  const keys = ['MSET'];
  for (let i = 0; i < 50; i++) keys.push(`k${i}`, `v${i}`);
  await source.cli(keys);
  await source.cli(['-n', '2', 'HSET', 'h', 'f', 'v']);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup restore of a Redis job', () => {
  it('backs up with backup run, restores latest into an empty server with --target --yes, checks the key counts', async () => {
    const backup = await run(['run', '--job', 'redis']);
    expect(backup.code, backup.stderr).toBe(0);
    const result = await run(['restore', 'latest', '--job', 'redis', '--target', target.url(), '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`restored  instance -> 127.0.0.1:${target.port}  (restore, `);
    expect(result.stdout).toContain('check ok: 2 database(s), 51 keys: all match the backup');
    expect(await target.cli(['DEBUG', 'DIGEST'])).toBe(await source.cli(['DEBUG', 'DIGEST']));
  });

  it('refuses the now non-empty server without --force (exit 6); --dry-run --force plans a safety backup', async () => {
    const refused = await run(['restore', 'latest', '--job', 'redis', '--target', target.url(), '--yes']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('error [TARGET_NOT_EMPTY]');
    const dry = await run([
      'restore',
      'latest',
      '--job',
      'redis',
      '--target',
      target.url(),
      '--force',
      '--dry-run',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/instance -> db0, db2\s+OVERWRITE/);
    expect(dry.stdout).toContain('into job redis-pre-restore first');
  });

  it('--to-file writes the RDB for file placement; --unit selects the unit', async () => {
    const out = join(work, 'placed');
    const result = await run([
      'restore',
      'latest',
      '--job',
      'redis',
      '--unit',
      'instance',
      '--to-file',
      out,
      '--yes',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readdir(work)).toContain('placed');
    expect(result.stdout).toContain(`RDB written to ${out}`);
    const into = await run(['restore', 'latest', '--job', 'redis', '--into', 'x', '--yes']);
    expect(into.code).toBe(2);
    expect(into.stderr).toContain('--into does not apply to Redis');
  });
});

describe('backup restore --pitr', () => {
  it('needs --data-dir (CONFIG_INVALID, exit 2), as documented', async () => {
    const result = await run([
      'restore',
      '--pitr',
      '--job',
      'pg-physical',
      '--target-time',
      '2026-01-21 14:30:00+00',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [CONFIG_INVALID]: --pitr needs --data-dir DIR');
  });

  it('hands the recovery flags to pitr-restore: its own checks answer (one target, a physical job)', async () => {
    const dataDir = join(work, 'pgdata');
    const none = await run(['restore', '--pitr', '--job', 'pg-physical', '--data-dir', dataDir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Give one recovery target: --target-time, --target-lsn');
    const two = await run([
      'restore',
      '--pitr',
      '--data-dir',
      dataDir,
      '--target-lsn',
      '0/16B3748',
      '--latest',
    ]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('Give only one recovery target (got --target-lsn, --latest)');
    const notPhysical = await run(['restore', '--pitr', '--job', 'redis', '--data-dir', dataDir, '--latest']);
    expect(notPhysical.stderr).toContain('Job redis is not a physical PostgreSQL job');
  });

  it('refuses logical-restore flags with --pitr, and recovery flags without it', async () => {
    const mixed = await run(['restore', '--pitr', '--data-dir', '/tmp/x', '--latest', '--force']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--force does not apply to --pitr');
    const forgotten = await run([
      'restore',
      'latest',
      '--job',
      'redis',
      '--target-time',
      '2026-01-21 14:30:00+00',
    ]);
    expect(forgotten.code).toBe(2);
    expect(forgotten.stderr).toContain('--target-time is a point-in-time recovery flag(s): add --pitr');
  });
});
