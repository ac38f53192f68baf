// The types of dist/index.js (src/index.ts): `z`, the part of zod the bundle holds (./z.d.ts).
import * as z from './z.js';

export { z };
