import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // A guard against a hung process, not a speed limit: the machines are shared and noisy.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    globalSetup: ['test/support/global-setup.ts'],
    // Vitest empties CSS by default; the Windows installer's page imports its stylesheet as text.
    css: { include: [/packages\/agent\/src\/gui\/assets\/.*\.css/] },
  },
});
