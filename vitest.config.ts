import { defineConfig } from 'vitest/config';

// Two tiers: `unit` (pure, fast, no root) and `integration` (real services, root, namespaces).
// Integration test files are named *.int.test.ts so they can be listed and run on their own.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{modules,scripts,stacks,policies,runbooks}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          // Generous: a loaded CI machine runs the CLI tests (child processes) several times slower; timing targets live in benchmarks.
          testTimeout: 90_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{modules,scripts,stacks,policies,runbooks}/**/*.int.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
