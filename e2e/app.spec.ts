// The inspector's main journey: open the app, build a model from dropped good images, inspect test images,
// export the results, all without a single request leaving this machine.
import { expect, test } from '@playwright/test';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isFail } from '../src/patchcore/calibration';
import { buildFrom, openApp, pipeConsole, runDemo } from './helpers/app';
import { dataDir, readImages, type NodeImage } from './helpers/data';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';
import { recordRequests } from './helpers/net';
import { shot } from './helpers/shots';

/** Small enough for CI on 2 cores with WASM / SwiftShader. */
const TRAIN_IMAGES = 20;

test('the app loads and shows the backbone and execution path the engine chose', async ({ page }) => {
  pipeConsole(page);
  const net = recordRequests(page);
  await openApp(page);
  await expect(page.getByRole('heading', { name: 'patchcore-web' })).toBeVisible();
  await expect(page.getByTestId('engine-backbone')).toHaveText('mobilenet_v2_mid');
  await expect(page.getByTestId('engine-execution')).toHaveText(/backbone: (webgpu|wasm)/);
  await expect(page.getByTestId('engine-kernels')).toHaveText(/kernels: (webgpu|wasm|cpu)/);
  await expect(page.getByTestId('engine-reason')).not.toBeEmpty();
  await expect(page.getByTestId('good-dropzone')).toBeVisible();
  await shot(page, 'app-loaded');
  expect(net.external(), 'requests that left 127.0.0.1').toEqual([]);
});

test('an inspector builds a model from dropped good images, inspects test images and exports the results', async ({ page }, testInfo) => {
  const root = dataDir();
  const set = root && join(root, 'hazelnut_small');
  // The journey drops real hazelnut photos, which live outside the repo (../shared/data); without them it skips.
  test.skip(!set || !existsSync(set), `shared data not found (set PATCHCORE_DATA or place it at ../shared/data): ${set ?? 'no data dir'}`);
  test.setTimeout(25 * 60_000);
  pipeConsole(page);
  const net = recordRequests(page);
  await openApp(page);

  // Build from a real drop of TRAIN_IMAGES good images.
  const good = readImages(join(set!, 'train', 'good'), TRAIN_IMAGES);
  const seconds = await buildFrom(page, good);
  console.log(`build of ${good.length} images took ${seconds.toFixed(1)} s`);
  await expect(page.getByTestId('build-summary')).toContainText(/Built from \d+ images/);
  await expect(page.getByTestId('histogram')).toBeVisible();
  await expect(page.getByTestId('threshold-mode')).toContainText('good images the memory has not seen');
  // The default framing keeps each image's shape; the model says how it frames images.
  await expect(page.getByTestId('framing-select')).toHaveValue('fit');
  await expect(page.getByTestId('current-model')).toContainText('shape kept');
  await shot(page, 'build-done');

  // Inspect the test images: good ones and every defect kind, named by their folder.
  const testDir = join(set!, 'test');
  const tests: (NodeImage & { defective: boolean })[] = [];
  for (const kind of readdirSync(testDir).sort()) {
    for (const img of readImages(join(testDir, kind), Infinity, (f) => `${kind}_${f}`)) tests.push({ ...img, defective: kind !== 'good' });
  }
  expect(tests.length).toBe(10);
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', tests);
  const rows = page.getByTestId('result-row');
  await expect(rows).toHaveCount(tests.length);
  await expect(page.locator('[data-testid="result-row"][data-verdict="queued"], [data-testid="result-row"][data-verdict="scoring"]')).toHaveCount(0, { timeout: 10 * 60_000 });
  await expect(page.locator('[data-testid="result-row"][data-verdict="error"]')).toHaveCount(0);

  const results = await rows.evaluateAll((els) =>
    els.map((e) => ({ name: e.getAttribute('data-name')!, score: Number(e.getAttribute('data-score')), verdict: e.getAttribute('data-verdict')! })),
  );
  const threshold = Number(await page.getByTestId('panel-threshold').inputValue());
  const defective = results.filter((r) => !r.name.startsWith('good_'));
  const detected = defective.filter((r) => r.verdict === 'fail');
  const missed = defective.filter((r) => r.verdict !== 'fail');
  const goodFlagged = results.filter((r) => r.name.startsWith('good_') && r.verdict === 'fail');
  const report = [
    `threshold ~${threshold}`,
    ...results.map((r) => `  ${r.name.padEnd(16)} ${r.score.toFixed(4)} ${r.verdict}`),
    `detected ${detected.length}/${defective.length} defective; missed: ${missed.map((r) => r.name).join(', ') || 'none'}`,
    `good flagged: ${goodFlagged.map((r) => r.name).join(', ') || 'none'}`,
  ].join('\n');
  console.log(report);
  await testInfo.attach('detections', { body: report, contentType: 'text/plain' });

  // The viewer shows the worst image with its heatmap.
  await page.getByTestId('sort-score').click(); // highest first
  await page.getByTestId('results-table').focus();
  await page.keyboard.press('Home');
  const worst = [...results].sort((a, b) => b.score - a.score)[0];
  await expect(page.locator('[data-testid="result-row"][aria-selected="true"]')).toHaveAttribute('data-name', worst.name);
  await expect(page.getByTestId('overlay-canvas')).toBeVisible();
  await expect(page.getByTestId('viewer-verdict')).toContainText(worst.verdict.toUpperCase());
  await page.keyboard.press('ArrowDown');
  const second = [...results].sort((a, b) => b.score - a.score)[1];
  await expect(page.locator('[data-testid="result-row"][aria-selected="true"]')).toHaveAttribute('data-name', second.name);
  await page.keyboard.press('ArrowUp');
  await shot(page, 'inspect-overlay');
  await page.getByTestId('side-by-side').click();
  await expect(page.getByTestId('original-canvas')).toBeVisible();
  await shot(page, 'inspect-side-by-side');

  // CSV export: one row per image with the same verdicts as the table.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
  expect(csv[0]).toBe('file,score,verdict,threshold,model');
  expect(csv).toHaveLength(tests.length + 1);
  for (const line of csv.slice(1)) {
    const [file, score, verdict, thr] = line.split(',');
    const row = results.find((r) => r.name === file);
    expect(row, `CSV row for ${file}`).toBeTruthy();
    expect(verdict).toBe(row!.verdict);
    expect(Number(score)).toBeCloseTo(row!.score, 4);
    expect(Number(thr)).toBeGreaterThan(0);
    expect(verdict === 'fail').toBe(isFail(Number(score), Number(thr)));
  }

  // Overlay PNGs as one ZIP.
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-overlays').click()]);
  expect(zip.suggestedFilename()).toMatch(/overlays\.zip$/);
  const zipBytes = readFileSync((await zip.path())!);
  expect(zipBytes.subarray(0, 4).toString('hex')).toBe('504b0304');

  expect(net.external(), 'requests that left 127.0.0.1').toEqual([]);
  expect(detected.length, report).toBeGreaterThanOrEqual(Math.ceil(defective.length * 0.875));
});

test('"Try it" builds a model on generated parts and shows detections', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  pipeConsole(page);
  const net = recordRequests(page);
  await openApp(page);
  await runDemo(page);
  const summary = (await page.getByTestId('label-summary').textContent()) ?? '';
  console.log(`demo: ${summary.trim()}`);
  const m = /caught (\d+)\/(\d+) defective/.exec(summary);
  expect(m, summary).toBeTruthy();
  await shot(page, 'demo-inspect');
  expect(Number(m![1])).toBeGreaterThanOrEqual(Math.ceil(Number(m![2]) * 0.75));
  expect(net.external()).toEqual([]);
});

function stills(n: number): NodeImage[] {
  return Array.from({ length: n }, (_, i) => ({ name: `part_${String(i).padStart(3, '0')}.png`, mime: 'image/png', base64: encodePng(scene(i * 3, 320, 240), 320, 240).toString('base64') }));
}

test('a build can be cancelled, and unreadable files are listed with their reasons', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  pipeConsole(page);
  await openApp(page);
  const images = [...stills(16), { name: 'broken.png', mime: 'image/png', base64: Buffer.from('this is not a png').toString('base64') }];
  await dropFiles(page, '[data-testid="good-dropzone"]', images);
  await expect(page.getByTestId('good-count')).toHaveText('17 images');
  await expect(page.getByTestId('holdout-help')).toContainText('3 of 17 good images are set aside');

  // Cancel while features are being extracted: the images stay.
  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-progress-stage')).toContainText(/Extracting patch features|Starting/);
  await shot(page, 'build-progress');
  await page.getByTestId('build-progress-cancel').click();
  await expect(page.getByTestId('build-cancelled')).toBeVisible();
  await expect(page.getByTestId('good-count')).toHaveText('17 images');

  // Build for real: the broken file is skipped and named, the rest is built.
  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-summary').or(page.getByTestId('build-error'))).toBeVisible({ timeout: 8 * 60_000 });
  await expect(page.getByTestId('build-summary')).toBeVisible();
  await expect(page.getByTestId('skipped-images')).toContainText('broken.png');
  await expect(page.getByTestId('skipped-images')).toContainText(/not an image/);
  await shot(page, 'build-skipped');
});

test('a model is saved to the library, renamed, duplicated, deleted and restored, exported, imported and opened', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  pipeConsole(page);
  await openApp(page);
  await buildFrom(page, stills(8));

  // Labelled defective examples: scored, drawn on the histogram, and an F1-optimal threshold is offered.
  const defects = [5, 11].map((t) => {
    const px = scene(t, 320, 240);
    for (let y = 90; y < 140; y++) for (let x = 130; x < 190; x++) px.set([20, 20, 20, 255], (y * 320 + x) * 4);
    return { name: `blotch_${t}.png`, mime: 'image/png', base64: encodePng(px, 320, 240).toString('base64') };
  });
  await dropFiles(page, '[data-testid="defect-dropzone"]', defects);
  await expect(page.getByTestId('use-f1')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('histogram')).toContainText('defective 2');
  await page.getByTestId('use-f1').click();
  await expect(page.getByTestId('threshold-mode')).toHaveText('F1-optimal on your labelled images');
  await expect(page.getByTestId('histogram')).toContainText('2 of 2 defective caught');
  await shot(page, 'build-f1');

  await page.getByTestId('model-name').fill('Washer line 3');
  await page.getByTestId('save-model').click();
  const items = page.getByTestId('library-item');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toHaveAttribute('data-name', 'Washer line 3');
  await expect(page.getByTestId('current-model')).toContainText('saved');

  await page.getByRole('button', { name: 'Rename Washer line 3', exact: true }).click();
  await page.getByRole('textbox', { name: 'New name' }).fill('Washer line 3, top');
  await page.getByRole('textbox', { name: 'New name' }).press('Enter');
  await expect(items.first()).toHaveAttribute('data-name', 'Washer line 3, top');
  await expect(page.getByTestId('current-model')).toContainText('Washer line 3, top');

  await page.getByRole('button', { name: 'Duplicate Washer line 3, top', exact: true }).click();
  await expect(items).toHaveCount(2);
  const copy = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')!).find((n) => n !== 'Washer line 3, top')!);

  await page.getByRole('button', { name: `Delete ${copy}`, exact: true }).click();
  await expect(items).toHaveCount(1);
  await page.getByTestId('toasts').getByRole('button', { name: 'Undo' }).click();
  await expect(items).toHaveCount(2);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Washer line 3, top', exact: true }).click()]);
  expect(download.suggestedFilename()).toMatch(/\.patchcore$/);
  const exported = (await download.path())!;
  await page.locator('[data-testid="library"] input[type="file"]').setInputFiles({ name: 'Washer line 3, top.patchcore', mimeType: 'application/octet-stream', buffer: readFileSync(exported) });
  await expect(items).toHaveCount(3);

  // Opening a saved model makes it current and scores with it.
  await page.getByRole('button', { name: `Open ${copy}`, exact: true }).click();
  await expect(page.getByTestId('current-model')).toContainText(copy);
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', stills(2));
  await expect(page.locator('[data-testid="result-row"][data-verdict="pass"], [data-testid="result-row"][data-verdict="fail"]')).toHaveCount(2, { timeout: 120_000 });
  await shot(page, 'library');
});

test('when the engine cannot start, the app says so in a sentence and keeps the dropped images', async ({ page }) => {
  pipeConsole(page);
  await page.route('**/*.onnx', (r) => r.abort());
  await page.goto('/');
  await expect(page.getByTestId('engine-error-banner')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('engine-error-banner')).toContainText('The engine could not start');
  await dropFiles(page, '[data-testid="good-dropzone"]', stills(3));
  await expect(page.getByTestId('good-count')).toHaveText('3 images');
  await expect(page.getByTestId('build-button')).toBeDisabled();
  await shot(page, 'engine-error');
});
