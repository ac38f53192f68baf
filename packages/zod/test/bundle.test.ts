import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import * as zod from 'zod';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

it('is one file: dist/index.js imports nothing from zod at run time', async () => {
  const code = await readFile(dist, 'utf8');
  expect(code).not.toMatch(/from\s*["']zod/);
  expect(code).not.toMatch(/import\(\s*["']zod/);
  expect(code.length).toBeGreaterThan(100_000); // zod's code is in it
});

it("exports zod's whole API: the same names, and schemas that parse and fail as zod's do", async () => {
  const bundled = (await import(dist)) as typeof zod;
  expect(Object.keys(bundled).sort()).toEqual(Object.keys(zod).sort());
  const { z } = bundled;
  const schema = z.object({ name: z.string().min(1), keep: z.number().int().nonnegative().default(7) });
  expect(schema.parse({ name: 'daily' })).toEqual({ name: 'daily', keep: 7 });
  const failed = schema.safeParse({ name: '', keep: -1 });
  expect(failed.success).toBe(false);
  expect(failed.error).toBeInstanceOf(bundled.ZodError);
  expect(failed.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['keep', 'name']);
  expect(bundled.default).toBe(z);
});
