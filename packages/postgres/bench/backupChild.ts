// One backup run in its own process, so its peak RSS can be measured: prints one JSON line
// `{ ms, maxRssBytes, plaintextBytes, storedBytes }`. Spawned by bench/run.ts; not a test.
// Usage: node bench/backupChild.ts '<json ChildConfig>'

import { enableCompileCache } from 'node:module';
import type { StorageBackend } from '@backup/core';

// As the bins (apps/*/src/bin.ts): Node's on-disk compile cache on before our modules load
// (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache; the first child fills it).
try {
  enableCompileCache?.();
} catch {
  // only a speed-up
}

/** What bench/run.ts passes to this process. */
export interface ChildConfig {
  url: string;
  database: string;
  job: string;
  storage:
    | { type: 'fs'; path: string }
    | {
        type: 's3';
        endpoint: string;
        bucket: string;
        region: string;
        accessKeyId: string;
        secretAccessKey: string;
      };
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const core = (await import('@backup/core' as string)) as typeof import('@backup/core') &
  Record<string, unknown>;
const { createPostgresEngine } = (await import(
  '@backup/postgres' as string
)) as typeof import('../src/index.js');

let storage: StorageBackend;
if (config.storage.type === 'fs') {
  storage = new core.FsStorage({ path: config.storage.path });
} else {
  const S3Storage = core['S3Storage'] as unknown as new (options: Record<string, unknown>) => StorageBackend;
  const s3 = config.storage;
  storage = new S3Storage({
    bucket: s3.bucket,
    prefix: 'agentic',
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

const started = performance.now();
const manifest = await core.runBackup({
  job: config.job,
  engine: createPostgresEngine({ url: config.url, databases: [config.database], globals: false }),
  storage,
  compression: { algorithm: 'zstd', level: 3 },
});
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({
    ms,
    // resourceUsage().maxRSS is in kilobytes (getrusage ru_maxrss on Linux).
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    plaintextBytes: manifest.artifacts.reduce((n, a) => n + a.plaintextBytes, 0),
    storedBytes: manifest.artifacts.reduce((n, a) => n + a.storedBytes, 0),
    setId: manifest.id,
  })}\n`,
);
