// One backup in its own process, so its time and peak RSS are measured alone (bench/run.ts).
// Usage: node bench/backupChild.ts '<ChildConfig JSON>'; prints one JSON line.

/** What bench/run.ts passes to this child. */
export interface ChildConfig {
  url: string;
  mode: 'rdb' | 'keys';
  job: string;
  repo: string;
  compression: 'zstd' | 'none';
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const core = (await import('@backup/core' as string)) as typeof import('@backup/core');
const { createRedisEngine } = (await import('@backup/redis' as string)) as typeof import('../src/index.js');

const started = performance.now();
const manifest = await core.runBackup({
  job: config.job,
  engine: createRedisEngine({ url: config.url, mode: config.mode }),
  storage: new core.FsStorage({ path: config.repo }),
  compression: { algorithm: config.compression, ...(config.compression === 'zstd' ? { level: 3 } : {}) },
});
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    ms,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    plaintextBytes: manifest.artifacts.reduce((n, a) => n + a.plaintextBytes, 0),
    storedBytes: manifest.artifacts.reduce((n, a) => n + a.storedBytes, 0),
    records: manifest.units.reduce((n, u) => n + Number(u.metadata['records'] ?? 0), 0),
  }),
);
