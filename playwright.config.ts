// Playwright drives Debian's system Chromium (never a downloaded browser) against the built app served on
// 127.0.0.1, with SwiftShader WebGPU enabled so the WGSL kernels and ORT's WebGPU EP run here too.
import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from './scripts/lib/browser.mjs';

export { CHROMIUM, CHROMIUM_ARGS };
const PORT = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.PW_JSON ? [['list'], ['json', { outputFile: process.env.PW_JSON }]] : 'list',
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    trace: 'off',
    screenshot: 'off',
  },
  webServer: {
    // PATCHCORE_DIST: a build elsewhere than dist/ (as eval and bench take it), e.g. while a long eval reads dist/.
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort${process.env.PATCHCORE_DIST ? ` --outDir ${process.env.PATCHCORE_DIST}` : ''}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
