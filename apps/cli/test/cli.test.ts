import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Storage } from '@backup/core';
import {
  type PostgresServer,
  type ProcessResult,
  runProcess,
  type S3rverInstance,
  startPostgres,
  startS3rver,
} from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess(process.execPath, [bin, ...args], { env });
}

let pg: PostgresServer;
let s3: S3rverInstance;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [pg, s3] = await Promise.all([startPostgres(), startS3rver()]);
  work = await mkdtemp(join(tmpdir(), 'cli-test-'));
  await pg.query('create database outline');
  await pg.query('create database langgraph');
  await pg.query(
    `create schema docs;
     create table docs.documents (id serial primary key, title text, meta jsonb, tags text[]);
     insert into docs.documents (title, meta, tags)
       select 'Runbook ' || i || ' 復旧 ✅', jsonb_build_object('n', i), array['ops', 'x' || i]
       from generate_series(1, 3000) i;`,
    'outline',
  );
  await pg.query(
    `create table checkpoints (id int primary key, embedding float4[]);
     insert into checkpoints select i, array(select (random() + i * 0)::float4 from generate_series(1, 384))
       from generate_series(1, 500) i;`,
    'langgraph',
  );
  await writeFile(
    join(work, 's3.yaml'),
    `storage:
  type: s3
  bucket: ${s3.bucket}
  prefix: agentic
  endpoint: ${s3.endpoint}
  region: us-east-1
  forcePathStyle: true
compression: zstd
jobs:
  - name: postgresql
    engine: postgres
    url: \${DATABASE_URL}
    databases: all
`,
  );
  env = {
    ...process.env,
    BACKUP_CONFIG: join(work, 's3.yaml'),
    DATABASE_URL: pg.url('postgres'),
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LOG_LEVEL: 'info',
  };
});

afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup CLI against real PostgreSQL and s3rver', () => {
  it('runs, lists, shows, verifies and restores a set with identical data', async () => {
    const runResult = await run(['run'], env);
    expect(runResult.stderr).not.toContain(pg.password);
    expect(runResult.code, runResult.stderr).toBe(0);
    expect(runResult.stdout).toMatch(/^ok\s+postgresql\s+set \d{8}-\d{6}/m);

    const list = await run(['list', '--json'], env);
    expect(list.code).toBe(0);
    const sets = JSON.parse(list.stdout) as Array<{ job: string; id: string; status: string }>;
    expect(sets).toHaveLength(1);
    expect(sets[0]!.status).toBe('complete');

    const show = await run(['show', 'latest', '--job', 'postgresql', '--json'], env);
    expect(show.code).toBe(0);
    const manifest = JSON.parse(show.stdout) as {
      id: string;
      artifacts: Array<{ name: string; key: string }>;
    };
    expect(manifest.id).toBe(sets[0]!.id);
    const names = manifest.artifacts.map((a) => a.name).sort();
    expect(names).toEqual(
      expect.arrayContaining(['globals.sql.zst', 'langgraph.dump.zst', 'outline.dump.zst']),
    );
    expect(show.stdout).not.toContain(pg.password);
    // The seeds' layout: agentic/postgresql/<YYYYMMDD-HHMMSS>/outline.dump.zst
    const bucket = new S3Storage(s3.storageOptions(''));
    const keys: string[] = [];
    for await (const o of bucket.list('agentic/postgresql/')) keys.push(o.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        `agentic/postgresql/${manifest.id}/outline.dump.zst`,
        `agentic/postgresql/${manifest.id}/manifest.json`,
      ]),
    );

    const human = await run(['show', 'latest', '--job', 'postgresql'], env);
    expect(human.stdout).toContain('outline.dump.zst');

    const verify = await run(['verify', 'latest', '--job', 'postgresql'], env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/ok\s+outline\.dump\.zst\s+\(deep\)/);

    const restore = await run(
      [
        'restore',
        'latest',
        '--job',
        'postgresql',
        '--database',
        'outline',
        '--into',
        'outline_copy',
        '--yes',
      ],
      env,
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect(await pg.rowDigests('outline_copy')).toEqual(await pg.rowDigests('outline'));
    expect(Object.keys(await pg.rowDigests('outline_copy'))).toContain('docs.documents');
  });

  it('refuses a non-empty target without --force, and needs --yes off a terminal', async () => {
    const again = await run(
      [
        'restore',
        'latest',
        '--job',
        'postgresql',
        '--database',
        'outline',
        '--into',
        'outline_copy',
        '--yes',
      ],
      env,
    );
    expect(again.code).toBe(6);
    expect(again.stderr).toContain('TARGET_NOT_EMPTY');
    const noYes = await run(
      ['restore', 'latest', '--job', 'postgresql', '--database', 'outline', '--into', 'other'],
      env,
    );
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    await pg.query(`update docs.documents set title = 'changed' where id = 1`, 'outline_copy');
    const forced = await run(
      [
        'restore',
        'latest',
        '--job',
        'postgresql',
        '--database',
        'outline',
        '--into',
        'outline_copy',
        '--force',
        '--yes',
      ],
      env,
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(await pg.rowDigests('outline_copy')).toEqual(await pg.rowDigests('outline'));
  });

  it('detects a corrupted artifact with exit code 4', async () => {
    const fsDir = join(work, 'fsrepo');
    await writeFile(
      join(work, 'fs.yaml'),
      `storage: { type: fs, path: ${fsDir} }\njobs:\n  - { name: pg, engine: postgres, url: "\${DATABASE_URL}", databases: [outline], globals: false }\n`,
    );
    const fsEnv = { ...env, BACKUP_CONFIG: join(work, 'fs.yaml') };
    expect((await run(['run'], fsEnv)).code).toBe(0);
    const [setId] = await readdir(join(fsDir, 'pg'));
    const file = join(fsDir, 'pg', setId!, 'outline.dump.zst');
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);
    const verify = await run(['verify', 'latest', '--job', 'pg'], fsEnv);
    expect(verify.code).toBe(4);
    expect(verify.stdout).toContain('CHECKSUM_MISMATCH');
  });

  it('fails a job with a bad password: exit 9, no manifest, nothing listed', async () => {
    const badEnv = { ...env, DATABASE_URL: pg.url('postgres').replace(pg.password, 'wrong-password') };
    const result = await run(['run', '--job', 'postgresql'], {
      ...badEnv,
      BACKUP_CONFIG: join(work, 'bad.yaml'),
    });
    expect(result.code).toBe(2); // missing config file names the path
    expect(result.stderr).toContain('bad.yaml');
    const before = JSON.parse((await run(['list', '--json', '--all'], env)).stdout) as unknown[];
    const failed = await run(['run', '--job', 'postgresql'], badEnv);
    expect(failed.code).toBe(9);
    expect(failed.stdout).toMatch(/^FAILED\s+postgresql\s+\[SOURCE_FAILED\]/m);
    expect(failed.stderr).not.toContain('wrong-password');
    const after = JSON.parse((await run(['list', '--json', '--all'], env)).stdout) as unknown[];
    expect(after).toEqual(before);
  });

  it('names the exact field of an invalid config and an unset variable', async () => {
    await writeFile(
      join(work, 'invalid.yaml'),
      `storage: { type: s3, bucket: backrest }\njobs:\n  - name: postgresql\n    engine: postgres\n    databases: 42\n`,
    );
    const invalid = await run(['list'], { ...env, BACKUP_CONFIG: join(work, 'invalid.yaml') });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('jobs[0].databases');
    const unset = await run(['list'], { ...env, DATABASE_URL: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('DATABASE_URL');
    expect(unset.stderr).toContain('jobs[0].url');
    const unknownJob = await run(['show', 'latest', '--job', 'nope'], env);
    expect(unknownJob.code).toBe(2);
    expect(unknownJob.stderr).toContain('configured jobs: postgresql');
  });
});

describe('encryption, locks and prune through the CLI', () => {
  it('encrypts with an age recipient, verifies deep only with the identity, restores, and rejects a wrong identity', async () => {
    const { execFileSync } = await import('node:child_process');
    const key = join(work, 'age.key');
    const other = join(work, 'other.key');
    execFileSync('age-keygen', ['-o', key], { stdio: 'ignore' });
    execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', key]).toString().trim();
    const repo = join(work, 'enc-repo');
    await writeFile(
      join(work, 'enc.yaml'),
      `storage: { type: fs, path: ${repo} }
encryption: { recipients: ["\${BACKUP_AGE_RECIPIENT}"] }
jobs:
  - { name: pgenc, engine: postgres, url: "\${DATABASE_URL}", databases: [outline], globals: false }
`,
    );
    const encEnv = { ...env, BACKUP_CONFIG: join(work, 'enc.yaml'), BACKUP_AGE_RECIPIENT: recipient };
    const runResult = await run(['run'], encEnv);
    expect(runResult.code, runResult.stderr).toBe(0);
    const [setId] = await readdir(join(repo, 'pgenc'));
    const files = await readdir(join(repo, 'pgenc', setId!));
    expect(files).toContain('outline.dump.zst.age');
    const manifestText = await readFile(join(repo, 'pgenc', setId!, 'manifest.json'), 'utf8');
    expect(manifestText).not.toContain('AGE-SECRET-KEY');
    expect(manifestText).not.toContain(recipient);
    // The stock tools can read it: age -d | zstd -d | pg_restore --list
    const toc = execFileSync('sh', [
      '-c',
      `age -d -i ${key} ${join(repo, 'pgenc', setId!, 'outline.dump.zst.age')} | zstd -d | pg_restore --list`,
    ]).toString();
    expect(toc).toContain('docs');

    const quick = await run(['verify', 'latest', '--job', 'pgenc'], encEnv);
    expect(quick.code, quick.stderr).toBe(0);
    expect(quick.stdout).toContain('(checksum)');
    const deep = await run(['verify', 'latest', '--job', 'pgenc', '--identity', key], encEnv);
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.stdout).toContain('(deep)');

    const wrong = await run(
      [
        'restore',
        'latest',
        '--job',
        'pgenc',
        '--database',
        'outline',
        '--into',
        'enc_wrong',
        '--yes',
        '--identity',
        other,
      ],
      encEnv,
    );
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toContain('DECRYPT_FAILED');
    const restored = await run(
      ['restore', 'latest', '--job', 'pgenc', '--database', 'outline', '--into', 'enc_copy', '--yes'],
      {
        ...encEnv,
        BACKUP_AGE_IDENTITY: key,
      },
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(await pg.rowDigests('enc_copy')).toEqual(await pg.rowDigests('outline'));
  });

  it('fails fast with LOCKED while another writer holds the job lock, then prunes to the policy', async () => {
    const { acquireJobLock, FsStorage } = await import('@backup/core');
    const repo = join(work, 'prune-repo');
    await writeFile(
      join(work, 'prune.yaml'),
      `storage: { type: fs, path: ${repo} }
retention: { keepLast: 2 }
jobs:
  - { name: pgp, engine: postgres, url: "\${DATABASE_URL}", databases: [langgraph], globals: false }
`,
    );
    const pEnv = { ...env, BACKUP_CONFIG: join(work, 'prune.yaml') };
    const lock = await acquireJobLock({ storage: new FsStorage({ path: repo }), job: 'pgp', owner: 'test' });
    const locked = await run(['run'], pEnv);
    expect(locked.code).toBe(5);
    expect(locked.stdout).toContain('[LOCKED]');
    await lock.release();
    for (let i = 0; i < 3; i++) {
      expect((await run(['run'], pEnv)).code).toBe(0);
      await new Promise((r) => setTimeout(r, 1100)); // set ids have one-second resolution
    }
    const ids = (JSON.parse((await run(['list', '--json'], pEnv)).stdout) as Array<{ id: string }>).map(
      (s) => s.id,
    );
    expect(ids).toHaveLength(3);
    const dry = await run(['prune', '--dry-run'], pEnv);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`remove  ${ids[2]}`);
    expect(JSON.parse((await run(['list', '--json'], pEnv)).stdout)).toHaveLength(3);
    const pruned = await run(['prune', '--json'], pEnv);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout)[0].removedSetIds).toEqual([ids[2]]);
    const left = (JSON.parse((await run(['list', '--json'], pEnv)).stdout) as Array<{ id: string }>).map(
      (s) => s.id,
    );
    expect(left).toEqual(ids.slice(0, 2));
  });
});
