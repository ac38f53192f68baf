import { defineProject } from 'vitest/config';

/**
 * Shared vitest project preset. Tests start real servers (PostgreSQL, s3rver...), so timeouts are
 * generous and files run in forks to keep each harness in its own process.
 */
export function backupProject(name: string) {
  return defineProject({
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: 60_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  });
}
