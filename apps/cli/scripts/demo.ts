// `pnpm demo`: the main job end to end on a throwaway PostgreSQL and an embedded S3 server (s3rver).
// Starts both on free ports, loads sample data, then runs the real `backup` CLI as a user would:
// run -> list -> show -> verify -> restore into a scratch database, and proves the data matches.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, startS3rver } from '@backup/test-services';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function step(title: string): void {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}

async function backup(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write(`$ backup ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`backup ${args[0]} exited with ${code}`);
}

const SAMPLE_OUTLINE = `
  create extension if not exists pgcrypto;
  create schema docs;
  create table docs.documents (
    id uuid primary key default gen_random_uuid(),
    title text not null,
    body text not null,
    meta jsonb not null,
    tags text[] not null,
    created_at timestamptz not null default now()
  );
  insert into docs.documents (title, body, meta, tags)
    select 'Runbook ' || i, repeat('Restore steps for service ' || i || ' — 復旧手順 ✅ ', 20),
           jsonb_build_object('service', 'svc-' || (i % 17), 'severity', i % 4, 'owner', 'team-' || (i % 5)),
           array['ops', 'tier-' || (i % 3)]
    from generate_series(1, 20000) i;
`;
const SAMPLE_LANGGRAPH = `
  create table checkpoints (
    thread_id text not null, step int not null, state jsonb not null,
    embedding float4[] not null, primary key (thread_id, step)
  );
  insert into checkpoints
    select 'thread-' || (i % 500), i, jsonb_build_object('messages', i % 50, 'agent', 'planner'),
           array(select (random() + i * 0)::float4 from generate_series(1, 384))
    from generate_series(1, 5000) i;
`;

const work = await mkdtemp(join(tmpdir(), 'backup-demo-'));
step('Starting a throwaway PostgreSQL and an embedded S3 server (s3rver)');
const pg = await startPostgres();
const s3 = await startS3rver({ bucket: 'backrest' });
try {
  process.stdout.write(
    `PostgreSQL ${pg.major} on 127.0.0.1:${pg.port}, S3 on ${s3.endpoint} (bucket backrest)\n`,
  );

  step('Loading sample data: databases outline (documents) and langgraph (checkpoints with embeddings)');
  await pg.query('create database outline');
  await pg.query('create database langgraph');
  await pg.query(SAMPLE_OUTLINE, 'outline');
  await pg.query(SAMPLE_LANGGRAPH, 'langgraph');

  const config = join(work, 'backup.yaml');
  await writeFile(
    config,
    `# Demo config: the same shape as a production Garage/MinIO/AWS setup.
storage:
  type: s3
  bucket: backrest
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
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BACKUP_CONFIG: config,
    DATABASE_URL: pg.url('postgres'),
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  process.stdout.write(`config: ${config}\n`);

  step('Back up every database to s3://backrest/agentic/postgresql/<YYYYMMDD-HHMMSS>/');
  await backup(['run'], env);
  step('List backup sets');
  await backup(['list'], env);
  step('Show the latest set (manifest)');
  await backup(['show', 'latest', '--job', 'postgresql'], env);
  step('Verify: checksums, then pg_restore --list on every dump');
  await backup(['verify', 'latest', '--job', 'postgresql'], env);
  step('Restore outline into a scratch database outline_restored');
  await backup(
    [
      'restore',
      'latest',
      '--job',
      'postgresql',
      '--database',
      'outline',
      '--into',
      'outline_restored',
      '--yes',
    ],
    env,
  );

  step('Compare the data');
  const source = await pg.rowDigests('outline');
  const restored = await pg.rowDigests('outline_restored');
  const same = JSON.stringify(source) === JSON.stringify(restored);
  for (const [table, d] of Object.entries(source)) {
    process.stdout.write(
      `  ${table}: ${d.split(':')[0]} rows, ${d === restored[table] ? 'identical' : 'DIFFERENT'}\n`,
    );
  }
  if (!same) throw new Error('restored data differs from the source');
  process.stdout.write(
    '\n\x1b[32mDemo complete: backed up, listed, verified and restored; the data matches.\x1b[0m\n',
  );
} finally {
  await pg.stop();
  await s3.stop();
  await rm(work, { recursive: true, force: true });
}
