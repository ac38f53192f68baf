/**
 * zod 4 (https://zod.dev), re-exported unchanged but bundled into one ES module at build time
 * (tsup `noExternal: ['zod']`). Every @backup package imports `z` from here, never from `zod`, so a
 * process loads one copy of zod, as one file.
 *
 * Why: `import 'zod'` loads ~70 ES modules; Node resolves, reads and links each one even with the
 * compile cache on. Measured on Node 24.21 (2 cores, compile cache warm): 39-90 ms and +16.5 MiB RSS
 * for zod's modules against 11-28 ms and +6-7 MiB for the same code as one bundled file. The
 * backup bins load zod at start (manifest and config schemas), so this is start-up time and memory
 * of every command.
 *
 * The types come from zod itself (`index.d.ts`: `export * from 'zod'`).
 */
export * from 'zod';
export { default } from 'zod';
