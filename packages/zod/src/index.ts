/**
 * The part of zod 4 (https://zod.dev) the @backup packages use, bundled into one ES module at build
 * time (tsup `noExternal: ['zod']`). Every @backup package imports `z` from here, never from `zod`,
 * so a process loads one copy of zod, as one file, holding only the functions listed in `./z.ts`.
 *
 * Why one file: `import 'zod'` loads ~70 ES modules; Node resolves, reads and links each one even
 * with the compile cache on. Measured on Node 24.21 (2 cores, compile cache warm): 39-90 ms and
 * +16.5 MiB RSS for zod's modules against 11-28 ms and +6-7 MiB for the same code as one file.
 *
 * Why a list instead of all of zod: with every export of zod re-exported, nothing can be left out of
 * the bundle (748 KB, its 40 locales included); with the list, esbuild drops what no listed function
 * reaches (199 KB). Importing this module went from ~26 ms to ~8.5 ms (Node 24.21, compile cache
 * warm, 5 runs each). The backup bins load zod at start, so this is start-up time of every
 * command. English error messages stay: zod's classic API sets its `en` locale when it loads.
 *
 * `z.infer<typeof schema>` and `z.core.$ZodIssue` are available as types (`../z.d.ts`).
 */
import * as z from './z.js';

export { z };
