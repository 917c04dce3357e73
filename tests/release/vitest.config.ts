import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    // The registry test runs one long scenario; its own steps carry their timeouts.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
