import { defineConfig } from 'vitest/config';

// Unit tests only (no servers): `npx vitest run --config vitest.unit.config.ts test/reconcile`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/infra/**', 'test/integration/**', 'test/fault/**', 'test/e2e/**', '**/node_modules/**'],
    testTimeout: 30_000,
  },
});
