#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation makes V8 scavenge often enough to free the pipeline's spent Buffers
// promptly (as the other bins).
import { main } from './main.js';

process.exitCode = await main();
