import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['engine/**/*.test.ts', 'test/**/*.test.ts', 'viewer/**/*.test.ts'],
    // Chromium's tests: npm run test:browser (vitest.browser.config.ts).
    exclude: ['test/browser/**', 'test/e2e/**', '**/node_modules/**'],
    pool: 'forks',
    // Node 20 runs relaxed SIMD only behind this flag (DESIGN.md); without it the relaxed build is skipped.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores: one test file at a time keeps timings and memory predictable.
    fileParallelism: false,
  },
});
