// `backup-cronjob --drill`: a backup run, then a drill run of the same config on its own schedule,
// against a real PostgreSQL (source and drill server) and a real Pushgateway. The drill's metrics
// live in their own Pushgateway group, so the backup run's PUT and the drill run's PUT coexist.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type PostgresServer,
  type PushgatewayServer,
  startPostgres,
  startPushgateway,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCronjob } from '../src/index.js';

let source: PostgresServer;
let drillServer: PostgresServer;
let pushgateway: PushgatewayServer;
let work: string;
let env: NodeJS.ProcessEnv;

function buffer() {
  let text = '';
  return {
    write(s: string) {
      text += s;
      return true;
    },
    text: () => text,
  };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  [source, drillServer, pushgateway] = await Promise.all([
    startPostgres(),
    startPostgres(),
    startPushgateway(),
  ]);
  work = await mkdtemp(join(tmpdir(), 'cronjob-drill-'));
  await source.query('create database outline');
  await source.query(
    `create table docs (id int); insert into docs select generate_series(1, 250);`,
    'outline',
  );
  await writeFile(
    join(work, 'backup.yaml'),
    `storage: { type: fs, path: ${join(work, 'repo')} }
metrics: { pushgateway: ${pushgateway.url} }
jobs:
  - { name: postgresql, engine: postgres, url: "\${DATABASE_URL}", databases: [outline], globals: false }
`,
  );
  env = {
    BACKUP_CONFIG: join(work, 'backup.yaml'),
    DATABASE_URL: source.url('postgres'),
    PATH: process.env['PATH'],
  };
});

afterAll(async () => {
  await Promise.all([source?.stop(), drillServer?.stop(), pushgateway?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup-cronjob --drill', () => {
  it('drills the latest set of each job, stores the report, pushes drill metrics next to the backup metrics', async () => {
    const backup = await runCronjob({ argv: [], env, logger: quiet, stdout: buffer(), stderr: buffer() });
    expect(backup.exitCode).toBe(0);
    const setId = backup.jobs[0]!.setId!;

    const stdout = buffer();
    const drill = await runCronjob({
      argv: ['--drill'],
      env: { ...env, BACKUP_DRILL_TARGET: drillServer.url('postgres') },
      logger: quiet,
      stdout,
      stderr: buffer(),
    });
    expect(drill.exitCode, stdout.text()).toBe(0);
    expect(stdout.text()).toMatch(
      new RegExp(
        `^ok\\s+postgresql  drill set=${setId} rto=\\d+\\.\\ds report=postgresql/${setId}/drill-\\d{8}-\\d{6}\\.json metrics=pushed`,
        'm',
      ),
    );
    expect(
      (await readdir(join(work, 'repo', 'postgresql', setId))).filter((f) => f.startsWith('drill-')),
    ).toHaveLength(1);
    const scratch = await drillServer.query<{ d: string }>(
      `select datname as d from pg_database where datname like 'drill%'`,
    );
    expect(scratch).toEqual([]);
    const metrics = await (await fetch(`${pushgateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^backup_restore_drill_status\{drill="restore",engine="postgres",instance="",job="postgresql"\} 1$/m,
    );
    expect(metrics).toMatch(/^backup_status\{engine="postgres",instance="",job="postgresql"\} 1$/m);
  });

  it('needs BACKUP_DRILL_TARGET (exit 2), and fails a job without a complete set with NOT_FOUND (exit 3)', async () => {
    const stderr = buffer();
    const missing = await runCronjob({ argv: ['--drill'], env, logger: quiet, stdout: buffer(), stderr });
    expect(missing.exitCode).toBe(2);
    expect(stderr.text()).toContain('BACKUP_DRILL_TARGET');

    await writeFile(
      join(work, 'empty.yaml'),
      `storage: { type: fs, path: ${join(work, 'empty-repo')} }\njobs:\n  - { name: fresh, engine: postgres, url: "\${DATABASE_URL}" }\n`,
    );
    const stdout = buffer();
    const none = await runCronjob({
      argv: ['--drill'],
      env: {
        ...env,
        BACKUP_CONFIG: join(work, 'empty.yaml'),
        BACKUP_DRILL_TARGET: drillServer.url('postgres'),
      },
      logger: quiet,
      stdout,
      stderr: buffer(),
    });
    expect(none.exitCode).toBe(3);
    expect(stdout.text()).toMatch(/^FAILED\s+fresh {2}drill code=NOT_FOUND/m);
  });
});
