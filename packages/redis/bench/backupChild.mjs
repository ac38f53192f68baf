// One backup in its own process, so its time and peak RSS are measured alone (bench/run.ts).
// Plain JavaScript: a .ts entry point makes Node load its type stripper, +17 MiB RSS (measured),
// which the backup bins (compiled .js) do not pay.
// Usage: node bench/backupChild.mjs '<ChildConfig JSON>'; prints one JSON line.

// As the bins (apps/*/src/bin.ts): Node's on-disk compile cache on before anything is imported
// (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache; the first child fills it).
const nodeModule = await import('node:module');
try {
  nodeModule.enableCompileCache?.();
} catch {
  // only a speed-up
}
// As the bins: V8's gc() for the pipeline's GC pacing, taken at run time instead of --expose-gc.
(await import('@backup/core/expose-gc')).exposeGc();

/** @type {import('./run.ts').ChildConfig} */
const config = JSON.parse(process.argv[2] ?? '{}');
/** @type {typeof import('@backup/core')} */
const core = await import('@backup/core');
const { createRedisEngine } = await import('@backup/redis');

const started = performance.now();
const manifest = await core.runBackup({
  job: config.job,
  engine: createRedisEngine({ url: config.url, mode: config.mode }),
  storage: new core.FsStorage({ path: config.repo }),
  compression: {
    algorithm: config.compression,
    ...(config.compression === 'zstd' ? { level: config.level ?? 3 } : {}),
  },
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
