import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Tests start real processes on a 2-core machine: keep file-level parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
