import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import * as zod from 'zod';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const typesFile = fileURLToPath(new URL('../z.d.ts', import.meta.url));

type Bundled = { z: typeof zod.z };

it('is one file: dist/index.js imports nothing from zod at run time', async () => {
  const code = await readFile(dist, 'utf8');
  expect(code).not.toMatch(/from\s*["']zod/);
  expect(code).not.toMatch(/import\(\s*["']zod/);
  expect(code.length).toBeGreaterThan(100_000); // zod's code is in it
});

it('holds only the listed part of zod: no other locale than English', async () => {
  const code = await readFile(dist, 'utf8');
  // zod's German locale (zod/v4/locales/de) says "Ungültige Eingabe"; all of zod is ~750 KB.
  expect(code).not.toContain('Ungültige Eingabe');
  expect(code.length).toBeLessThan(400_000);
});

it('exports z with exactly the value names of z.d.ts, as zod defines them', async () => {
  const declared = await readFile(typesFile, 'utf8');
  const valueList = /export \{([^}]*)\} from 'zod'/.exec(declared)?.[1] ?? '';
  const names = valueList
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .sort();
  expect(names.length).toBeGreaterThan(10);
  const bundled = (await import(dist)) as Bundled;
  expect(Object.keys(bundled).sort()).toEqual(['z']);
  expect(Object.keys(bundled.z).sort()).toEqual(names);
  for (const name of names) {
    expect(typeof (bundled.z as Record<string, unknown>)[name], name).toBe(
      typeof (zod as Record<string, unknown>)[name],
    );
  }
});

it('parses and fails as zod does, with English messages', async () => {
  const { z } = (await import(dist)) as Bundled;
  const schema = z.object({
    name: z.string().min(1),
    keep: z.number().int().nonnegative().default(7),
    at: z.iso.datetime().optional(),
    kind: z.enum(['daily', 'weekly']).default('daily'),
  });
  expect(schema.parse({ name: 'daily' })).toEqual({ name: 'daily', keep: 7, kind: 'daily' });
  const failed = schema.safeParse({ name: '', keep: -1, at: 'yesterday' });
  expect(failed.success).toBe(false);
  expect(failed.error).toBeInstanceOf(z.ZodError);
  const bundledMessages = failed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort();
  const reference = zod.z
    .object({
      name: zod.z.string().min(1),
      keep: zod.z.number().int().nonnegative().default(7),
      at: zod.z.iso.datetime().optional(),
      kind: zod.z.enum(['daily', 'weekly']).default('daily'),
    })
    .safeParse({ name: '', keep: -1, at: 'yesterday' });
  expect(bundledMessages).toEqual(
    reference.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort(),
  );
  expect(bundledMessages.join('\n')).toContain('Too small');
});
