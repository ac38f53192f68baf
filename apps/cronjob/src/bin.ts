#!/usr/bin/env node
import { main } from './main.js';

const code = await main();
process.exitCode = code;
// Lingering sockets (keep-alive connections) must not keep a finished run alive; the timer is
// unref'd, so it only fires when something else still holds the event loop.
setTimeout(() => process.exit(code), 2_000).unref();
