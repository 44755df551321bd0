// Large camera images: Build picks a working size by image size (auto: 448 px for these), shows what a build and an
// inspection cost here before it starts (measured, not guessed), and lets the inspector draw the region that counts.
// The model keeps both: a defect outside the region passes, the same defect inside it fails.
import { expect, test, type Page } from '@playwright/test';
import { openApp, pipeConsole } from './helpers/app';
import type { NodeImage } from './helpers/data';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';

const W = 1200, H = 900; // shorter side 900: auto shrinks at most 2.5x (to 360), so it works at 448 px

function png(name: string, t: number, blob?: { x: number; y: number }): NodeImage {
  const px = scene(t, W, H);
  if (blob) {
    for (let y = blob.y - 30; y < blob.y + 30; y++) {
      for (let x = blob.x - 30; x < blob.x + 30; x++) px.set([230, 30, 40, 255], (y * W + x) * 4);
    }
  }
  return { name, mime: 'image/png', base64: encodePng(px, W, H).toString('base64') };
}

/** Drags a rectangle with the mouse on a region editor's image, corner to corner, in fractions of the image. */
async function drawRegion(page: Page, testId: string, from: [number, number], to: [number, number]): Promise<void> {
  const editor = page.getByTestId(testId);
  await expect(editor.locator('img')).toBeVisible();
  const box = (await editor.boundingBox())!;
  const at = ([fx, fy]: [number, number]) => [box.x + box.width * fx, box.y + box.height * fy] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  await page.mouse.move(...at([(from[0] + to[0]) / 2, (from[1] + to[1]) / 2]), { steps: 4 });
  await page.mouse.move(...at(to), { steps: 4 });
  await page.mouse.up();
}

test('working size by image size with its measured cost, and an inspection region that decides what counts', async ({ page }) => {
  test.setTimeout(12 * 60_000);
  pipeConsole(page);
  await openApp(page);
  await page.getByTestId('tab-build').click();
  const good = Array.from({ length: 12 }, (_, i) => png(`good_${i}.png`, i * 3));
  await dropFiles(page, '[data-testid="good-dropzone"]', good);
  await expect(page.getByTestId('good-count')).toHaveText('12 images');

  // Auto resolves from the images' size, and the cost is measured on one of them before anything is built.
  const size = page.getByTestId('working-size');
  await expect(size.locator('option[value="auto"]')).toHaveText(/448 px for these images/);
  const cost = page.getByTestId('cost-estimate');
  await expect(cost).toContainText('At 448 px', { timeout: 180_000 });
  await expect(cost).toContainText('patches an image');
  const at448 = await page.getByTestId('cost-inspect').textContent();
  await size.selectOption('224');
  await expect(cost).toContainText('At 224 px', { timeout: 180_000 });
  const at224 = await page.getByTestId('cost-inspect').textContent();
  console.log(`measured inspection: ${at448} at 448 px, ${at224} at 224 px`);
  await size.selectOption('auto');
  await expect(cost).toContainText('At 448 px', { timeout: 180_000 });

  // The region: the left 60% of the image, drawn with the mouse on the first good image.
  await drawRegion(page, 'region-editor', [0.02, 0.02], [0.6, 0.98]);
  await expect(page.getByTestId('region-help')).toContainText(/Only \d+%–60% across/);
  await expect(page.getByTestId('region-rect')).toBeVisible();

  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-summary').or(page.getByTestId('build-error'))).toBeVisible({ timeout: 8 * 60_000 });
  await expect(page.getByTestId('build-error')).toHaveCount(0);
  await expect(page.getByTestId('current-model')).toContainText('448 px');
  await expect(page.getByTestId('current-model')).toContainText('region');

  // The same red blob: right of the region (x 85%) passes; inside it (x 30%) fails.
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', [
    png('outside.png', 4, { x: Math.round(W * 0.85), y: Math.round(H * 0.5) }),
    png('inside.png', 4, { x: Math.round(W * 0.3), y: Math.round(H * 0.5) }),
  ]);
  const row = (name: string) => page.locator(`[data-testid="result-row"][data-name="${name}"]`);
  await expect(row('outside.png')).toHaveAttribute('data-verdict', /pass|fail/, { timeout: 180_000 });
  await expect(row('inside.png')).toHaveAttribute('data-verdict', /pass|fail/, { timeout: 180_000 });
  const score = async (name: string) => Number(await row(name).getAttribute('data-score'));
  console.log(`outside ${await score('outside.png')}, inside ${await score('inside.png')}`);
  await expect(row('outside.png')).toHaveAttribute('data-verdict', 'pass');
  await expect(row('inside.png')).toHaveAttribute('data-verdict', 'fail');

  // After the build the region can shrink: to the left 20%, the blob at 30% no longer counts; both are scored again.
  await page.getByTestId('model-region-toggle').click();
  await drawRegion(page, 'model-region-editor', [0.02, 0.02], [0.2, 0.98]);
  await expect(page.getByTestId('model-region-help')).toContainText(/Scored: \d+%–20% across/);
  await expect(row('inside.png')).toHaveAttribute('data-verdict', 'pass', { timeout: 180_000 });
  await expect(row('outside.png')).toHaveAttribute('data-verdict', 'pass', { timeout: 180_000 });
});
