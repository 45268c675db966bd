import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // two cores on CI: keep parallelism bounded so timing-sensitive stress tests keep their headroom
    maxWorkers: 2,
  },
});
