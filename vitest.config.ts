import { defineConfig } from 'vitest/config';

/** One root config: `pnpm vitest` from the root runs every package's suite as a project. */
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tooling/*'],
  },
});
