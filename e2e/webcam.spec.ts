// Webcam spot-check with Chromium's fake camera playing a clip this spec writes itself: live heatmap, verdict
// and frame rate; freeze and snapshot; and the clear message when camera permission is denied.
import { expect, test, type Browser } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config';
import { buildFrom, openApp, pipeConsole } from './helpers/app';
import { encodePng, scene, writeY4m } from './helpers/media';
import { recordRequests } from './helpers/net';
import { shot } from './helpers/shots';

const W = 320, H = 240;
const dir = resolve(import.meta.dirname, '..', 'test-results', 'webcam-media');
const clip = join(dir, 'pattern.y4m');

function baseURL(): string {
  return `http://127.0.0.1:${process.env.E2E_PORT ?? 4173}`;
}

async function launch(extra: string[]): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extra] });
}

test.beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeY4m(clip, 64, W, H);
});

test('the fake camera shows a live heatmap with a verdict and a frame rate', async () => {
  test.setTimeout(15 * 60_000);
  const browser = await launch(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${clip}`]);
  try {
    const context = await browser.newContext({ baseURL: baseURL(), acceptDownloads: true });
    const page = await context.newPage();
    pipeConsole(page, 'webcam');
    const net = recordRequests(page);
    await openApp(page);
    // A model of the very scene the camera shows, from stills of the same pattern.
    const stills = [0, 9, 18, 27, 36, 45].map((t) => ({ name: `still_${t}.png`, mime: 'image/png', base64: encodePng(scene(t, W, H), W, H).toString('base64') }));
    await buildFrom(page, stills);

    await page.getByTestId('tab-webcam').click();
    await page.getByTestId('camera-start').click();
    await expect(page.getByTestId('camera-verdict')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('camera-verdict')).toHaveText(/^(PASS|FAIL) \d/);
    await expect(page.getByTestId('camera-fps')).toHaveText(/^[1-9]\d*\.\d fps$|^0\.[1-9] fps$/, { timeout: 60_000 });
    await expect(page.getByTestId('camera-select').locator('option')).not.toHaveCount(0);
    // The model's working size is shown beside the rate (these 320 x 240 stills: auto keeps 224 px).
    await expect(page.getByTestId('camera-size')).toHaveText('model at 224 px');
    console.log(`webcam: ${await page.getByTestId('camera-verdict').textContent()} at ${await page.getByTestId('camera-fps').textContent()}`);
    await shot(page, 'webcam-live');

    await page.getByTestId('camera-freeze').click();
    await expect(page.getByTestId('camera-fps')).toHaveText('frozen');
    await expect(page.getByTestId('camera-frozen')).toBeVisible();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('camera-snapshot').click()]);
    expect(download.suggestedFilename()).toMatch(/\.png$/);
    expect(readFileSync((await download.path())!).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    await shot(page, 'webcam-frozen');
    await page.getByTestId('camera-stop').click();
    // The snapshot is a record in History, with the frame's verdict.
    await page.getByTestId('tab-history').click();
    const rec = page.locator('[data-testid="history-row"][data-file^="webcam/"]');
    await expect(rec).toHaveCount(1);
    await expect(rec).toHaveAttribute('data-verdict', /^(pass|fail)$/);
    expect(net.external()).toEqual([]);
  } finally {
    await browser.close();
  }
});

test('denied camera permission shows a clear message', async () => {
  // A fake device exists, but without the fake-UI flag the permission prompt is dismissed: access is denied.
  const browser = await launch(['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`]);
  try {
    const context = await browser.newContext({ baseURL: baseURL() });
    const page = await context.newPage();
    pipeConsole(page, 'webcam-denied');
    await page.goto('/');
    await page.getByTestId('tab-webcam').click();
    await page.getByTestId('camera-start').click();
    await expect(page.getByTestId('camera-error')).toHaveText(/Camera access was denied\. Allow the camera/, { timeout: 30_000 });
    await shot(page, 'webcam-denied');
  } finally {
    await browser.close();
  }
});
