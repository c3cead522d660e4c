import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Two files at a time even on two cores: most tests wait on child processes, sockets and
    // emulated binaries rather than compute. Each file has its own data directory, database,
    // ports and Wine prefix, so files never share state.
    maxWorkers: 2,
    // A guard against a hung process, not a speed limit: the machines are shared and noisy.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    globalSetup: ['test/support/global-setup.ts'],
    // Vitest empties CSS by default; the Windows installer's page imports its stylesheet as text.
    css: { include: [/packages\/agent\/src\/gui\/assets\/.*\.css/] },
  },
});
