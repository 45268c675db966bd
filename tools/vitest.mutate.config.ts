/**
 * The vitest config Stryker uses (stryker.config.json → vitest.configFile). The test files are the ones
 * `tools/mutate.ts` chose for the mutated files (env MUTATE_TESTS, comma-separated), so a run only
 * executes the relevant tests; Stryker runs each worker with one fork, and at most 2 workers.
 */
import { defineConfig } from 'vitest/config';

const tests = (process.env.MUTATE_TESTS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s.length > 0);

export default defineConfig({
  test: {
    include: tests.length > 0 ? tests : ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
