// Start-up of the built `backup-cronjob` bin: a backup run loads the packages of the engines its
// jobs use and nothing for restores. The drills (`--drill`) bring @backup/restore and, through it,
// every engine's client (neo4j-driver with rxjs, the Qdrant client with undici, tar-stream):
// ~110-130 ms of module loading before a backup reaches its source (docs/performance.md,
// "Start-up").
// Which modules load is recorded with a `node:module` load hook (registerHooks, Node >= 22.15),
// preloaded with --import: it sees ES modules and CommonJS `require` alike.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type RedisServer, runProcess, startRedis } from '@backup/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const RECORD_LOADS = `import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
const file = process.env.RECORD_LOADS_FILE;
registerHooks({
  load(url, context, nextLoad) {
    appendFileSync(file, url + '\\n');
    return nextLoad(url, context);
  },
});
`;

let redis: RedisServer;
/** An empty server the drill restores into. */
let drillServer: RedisServer;
let work: string;

beforeAll(async () => {
  [redis, drillServer] = await Promise.all([startRedis(), startRedis()]);
  await redis.cli(['SET', 'greeting', 'hello']);
  work = await mkdtemp(join(tmpdir(), 'cronjob-startup-'));
  await writeFile(join(work, 'recordLoads.mjs'), RECORD_LOADS);
  await writeFile(
    join(work, 'backup.yaml'),
    `storage:
  type: fs
  path: ${join(work, 'repo')}
compression: none
jobs:
  - name: cache
    engine: redis
    url: ${redis.url()}
`,
  );
});

afterAll(async () => {
  await Promise.all([redis?.stop(), drillServer?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the bin with the load hook (and `extraEnv`); resolves with its result and the URLs of the modules it loaded. */
async function runRecorded(
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string; loaded: string[] }> {
  const file = join(work, `loads-${Date.now()}.txt`);
  await writeFile(file, '');
  const result = await runProcess(
    process.execPath,
    ['--import', pathToFileURL(join(work, 'recordLoads.mjs')).href, BIN, ...args],
    {
      env: {
        PATH: process.env['PATH'],
        BACKUP_CONFIG: join(work, 'backup.yaml'),
        RECORD_LOADS_FILE: file,
        NODE_DISABLE_COMPILE_CACHE: '1',
        ...extraEnv,
      },
    },
  );
  const loaded = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  return { code: result.code, stderr: result.stderr, loaded };
}

/** The modules of a package among loaded URLs: the workspace folder or the node_modules name. */
const of = (loaded: string[], pkg: string) =>
  loaded.filter((url) => url.includes(`/packages/${pkg}/dist/`) || url.includes(`/node_modules/${pkg}/`));

// registerHooks came in Node 22.15 / 23.5; the project supports Node >= 22.12 (CI runs 24).
const canRecord = typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function';
if (!canRecord) console.warn(`Node ${process.version} has no module.registerHooks: start-up tests skipped`);

describe.skipIf(!canRecord)('backup-cronjob start-up', () => {
  it('a Redis backup run loads @backup/redis, and neither the restore package nor other engines', async () => {
    const { code, stderr, loaded } = await runRecorded(['--job', 'cache']);
    expect(code, stderr).toBe(0);
    expect(await readdir(join(work, 'repo', 'cache'))).toHaveLength(1);
    // The positive control: the hook saw the engine the job uses, and the metrics it pushes.
    expect(of(loaded, 'redis').some((url) => url.endsWith('/packages/redis/dist/index.js'))).toBe(true);
    expect(of(loaded, 'prom-client').length).toBeGreaterThan(0);
    // Only the zod option schemas of the other engines (@backup/<engine>/options), for the config.
    for (const engine of ['postgres', 'qdrant', 'neo4j']) {
      expect(
        of(loaded, engine).filter((url) => url.endsWith('/index.js')),
        engine,
      ).toEqual([]);
    }
    for (const pkg of ['restore', 'neo4j-driver', '@qdrant/js-client-rest', 'undici', 'tar-stream', 'rxjs']) {
      expect(of(loaded, pkg), pkg).toEqual([]);
    }
  });

  it('--drill loads the drills and @backup/restore when it needs them, and drills the set', async () => {
    const { code, stderr, loaded } = await runRecorded(['--job', 'cache', '--drill'], {
      BACKUP_DRILL_TARGET: drillServer.url(),
    });
    expect(code, stderr).toBe(0);
    expect(of(loaded, 'restore').length).toBeGreaterThan(0);
    expect(loaded.some((url) => /\/apps\/cronjob\/dist\/runDrills-[^/]*\.js$/.test(url))).toBe(true);
    // The drill ran: its report is stored next to the set it restored.
    const [set] = await readdir(join(work, 'repo', 'cache'));
    const files = await readdir(join(work, 'repo', 'cache', set!));
    expect(files.filter((name) => /^drill-\d{8}-\d{6}\.json$/.test(name))).toHaveLength(1);
  });
});
