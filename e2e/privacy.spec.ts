// Privacy: a whole journey (open, engine start, build, inspect, store for offline use) makes no request to any
// host but 127.0.0.1, from the page, its workers or the service worker, under a self-only Content-Security-Policy.
import { expect, test } from '@playwright/test';
import { buildFrom, openApp, pipeConsole } from './helpers/app';
import type { NodeImage } from './helpers/data';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';

type H = { harness: { offline: typeof import('../src/harness/offline.harness') } };

function stills(n: number, from = 0): NodeImage[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `part_${String(from + i).padStart(3, '0')}.png`,
    mime: 'image/png',
    base64: encodePng(scene((from + i) * 3, 160, 120), 160, 120).toString('base64'),
  }));
}

test('a full journey sends nothing beyond 127.0.0.1 and runs under a self-only Content-Security-Policy', async ({ page, context }) => {
  test.setTimeout(10 * 60_000);
  pipeConsole(page);
  // Context level: pages, their dedicated workers (engine, ORT threads) and the service worker.
  const requests: { url: string; from: string }[] = [];
  context.on('request', (r) => requests.push({ url: r.url(), from: r.serviceWorker() ? 'service worker' : 'page' }));
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to ${e.effectiveDirective}: ${e.blockedURI} (Content Security Policy)`));
  });

  const response = await page.goto('/');
  const header = response?.headers()['content-security-policy'] ?? '';
  for (const d of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self' blob:", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) {
    expect(header, 'CSP response header').toContain(d);
  }
  // No JS eval, no wildcard, no other origin.
  expect(header).not.toContain("'unsafe-eval'");
  expect(header).not.toMatch(/\*|https?:/);
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta, 'CSP <meta> in the built index.html').toContain("default-src 'self'");
  expect(meta).toContain("script-src 'self' 'wasm-unsafe-eval'");

  // Engine start (backbone download), a small build and an inspection, all through the UI.
  await openApp(page);
  await buildFrom(page, stills(8));
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', stills(2, 50));
  await expect(page.getByTestId('result-row')).toHaveCount(2);
  await expect(page.locator('[data-testid="result-row"][data-verdict="queued"], [data-testid="result-row"][data-verdict="scoring"]')).toHaveCount(0, { timeout: 5 * 60_000 });
  await expect(page.locator('[data-testid="result-row"][data-verdict="error"]')).toHaveCount(0);

  // Storing the app for offline use (the service worker downloads the whole build).
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("default-src 'self'");
  expect(await page.evaluate(() => (window as unknown as H).harness.offline.registerOffline())).toBe('ready');

  const http = requests.filter((r) => /^https?:/i.test(r.url));
  const elsewhere = requests.filter((r) => !/^(https?|blob|data):/i.test(r.url) || (/^https?:/i.test(r.url) && new URL(r.url).hostname !== '127.0.0.1'));
  console.log(`privacy: ${requests.length} requests (${http.filter((r) => r.from === 'page').length} page and workers, ${http.filter((r) => r.from === 'service worker').length} service worker), ${elsewhere.length} elsewhere`);
  expect(elsewhere.map((r) => `${r.from}: ${r.url}`), 'requests to any host but 127.0.0.1').toEqual([]);
  expect(http.some((r) => r.url.endsWith('.onnx')), 'the backbone download was seen').toBe(true);
  expect(http.some((r) => r.from === 'service worker'), 'the service worker requests were seen').toBe(true);
  expect(violations, 'Content-Security-Policy violations').toEqual([]);
});
