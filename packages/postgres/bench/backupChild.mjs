// One backup run in its own process, so its peak RSS can be measured: prints one JSON line
// `{ ms, maxRssBytes, plaintextBytes, storedBytes, setId }`. Spawned by bench/run.ts; not a test.
// Usage: node bench/backupChild.mjs '<json ChildConfig>'
// Plain JavaScript, as the bins run compiled .js: a .ts entry point makes Node load its type
// stripper first, +15-17 MiB RSS (measured: 44 -> 61 MiB at start), which `backup run` never pays.

// As the bins (apps/*/src/bin.ts): Node's on-disk compile cache on before our modules load
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
const { createPostgresEngine } = await import('@backup/postgres');

/** @type {import('@backup/core').StorageBackend} */
let storage;
if (config.storage.type === 'fs') {
  storage = new core.FsStorage({ path: config.storage.path });
} else {
  storage = new core.S3Storage(config.storage.options);
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
