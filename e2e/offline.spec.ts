// Offline: after one visit the service worker holds the whole build, so with the network gone the app still
// opens cross-origin isolated, the engine loads its backbone, and a model is built and used.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeConsole } from './helpers/app';

/** The harness page's window (src/harness/main.ts); a cast, since each spec sees its own harness modules. */
type H = { harness: { offline: typeof import('../src/harness/offline.harness') } };

const DIST = resolve(process.env.PATCHCORE_DIST ?? resolve(import.meta.dirname, '..', 'dist'));

/** The URLs dist/sw.js precaches, read from the file the build wrote. */
function precacheList(): string[] {
  const sw = readFileSync(resolve(DIST, 'sw.js'), 'utf8');
  return [...sw.matchAll(/"url": "([^"]+)"/g)].map((m) => m[1]).sort();
}

test('after one visit the app opens, loads its backbone and builds and scores a model with the network off', async ({ page, context }) => {
  test.setTimeout(10 * 60_000);
  pipeConsole(page);
  const expected = precacheList();
  for (const must of ['/index.html', '/harness.html', '/favicon.svg', '/ort/ort-wasm-simd-threaded.asyncify.wasm', '/ort/ort-wasm-simd-threaded.asyncify.mjs', '/models/mobilenet_v2_mid.onnx']) {
    expect(expected, `precache list of dist/sw.js`).toContain(must);
  }
  expect(expected.some((u) => /^\/assets\/engine\.worker-[\w-]+\.js$/.test(u)), 'the engine worker chunk is precached').toBe(true);

  // First visit, online: register exactly as the app does and wait until every file is stored.
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  let progressSeen = false;
  await page.exposeFunction('__precacheProgress', () => (progressSeen = true));
  const status = await page.evaluate(() =>
    (window as unknown as H).harness.offline.registerOffline({ onProgress: () => (window as unknown as { __precacheProgress(): void }).__precacheProgress() }),
  );
  expect(status).toBe('ready');
  expect(progressSeen, 'precache progress reached the page').toBe(true);
  const online = await page.evaluate(() => (window as unknown as H).harness.offline.state());
  expect(online.offlineMark).toBe('ready');
  expect(online.caches, 'one precache, named by the build version').toHaveLength(1);
  expect(online.stored).toEqual(expected);

  // Network off. From here on every response must come from the service worker.
  await context.setOffline(true);
  const responses: { url: string; fromSW: boolean; status: number }[] = [];
  const failed: string[] = [];
  context.on('response', (r) => responses.push({ url: r.url(), fromSW: r.fromServiceWorker(), status: r.status() }));
  context.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));

  // The app itself: it loads, is still cross-origin isolated (headers replayed from the cache), the engine
  // fetches its backbone and reports ready.
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated), 'the app stays cross-origin isolated offline').toBe(true);
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  const info = page.getByTestId('engine-info');
  await expect(info).toHaveAttribute('data-status', /ready|error/, { timeout: 120_000 });
  if ((await info.getAttribute('data-status')) !== 'ready') throw new Error(`Engine did not start offline: ${await page.getByTestId('engine-error-banner').textContent()}`);

  // The harness page, offline: a build from 6 generated parts and two scores through the engine worker.
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const r = await page.evaluate(() => (window as unknown as H).harness.offline.buildAndScore());
  console.log(`offline: ${r.info.backbone} on ${r.info.executionPath} (${r.info.threads} threads), ${r.trainCount} images -> ${r.bankRows} memory rows; ` + r.scores.map((s) => `${s.name} ${s.score.toFixed(3)}`).join(', '));
  expect(r.info.threads, 'threaded WASM: SharedArrayBuffer is available offline').toBeGreaterThan(1);
  expect(r.trainCount).toBe(6);
  const good = r.scores.find((s) => !s.defective)!;
  const bad = r.scores.find((s) => s.defective)!;
  expect(Number.isFinite(good.score)).toBe(true);
  expect(bad.score).toBeGreaterThan(good.score);

  expect(failed, 'requests that failed offline').toEqual([]);
  const network = responses.filter((x) => /^https?:/.test(x.url) && !x.fromSW);
  expect(network.map((x) => x.url), 'responses that did not come from the service worker').toEqual([]);
  const fromSW = new Set(responses.filter((x) => x.fromSW).map((x) => new URL(x.url).pathname));
  for (const must of ['/index.html', '/harness.html', '/models/mobilenet_v2_mid.onnx', '/ort/ort-wasm-simd-threaded.asyncify.wasm']) {
    expect([...fromSW], `${must} was served from the cache`).toContain(must === '/index.html' ? '/' : must);
  }
});
