import { defineConfig } from 'vitest/config';

// One run for the whole monorepo. `@fmi/*` imports resolve to TypeScript sources through the
// `@fmi/source` export condition, so tests never see a stale build; child processes that tests
// spawn (ranks, the CLI) run the built `dist/` output, which `npm test` builds first.
export default defineConfig({
  resolve: { conditions: ['@fmi/source'] },
  ssr: { resolve: { conditions: ['@fmi/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'providers/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['./tools/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two workers on two cores: many files wait on servers (Redis, emulators, child processes).
    maxWorkers: 2,
    reporters: ['default'],
  },
});
