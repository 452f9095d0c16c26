/** Vitest configuration: one suite under test/, mirroring the source folders. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // tfjs backends are process-global; forks isolate each file's backend choice.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The default output, then a list of every skipped test with its reason (no silent skips).
    reporters: ['default', './test/support/skipped-reporter.ts'],
  },
});
