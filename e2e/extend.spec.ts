// Adding good images to a saved model: the "Try it" model is saved, four more good images are added from the
// current-model panel, and the library holds the larger bank and image count, which still scores; each open restores
// the bank's stored nearest-neighbour index instead of building it.
import { expect, test } from '@playwright/test';
import { openApp, pipeConsole, runDemo } from './helpers/app';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';

function pngs(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}_${i}.png`, mimeType: 'image/png', buffer: encodePng(scene(i * 5 + 1, 320, 240), 320, 240) }));
}

test('good images added to a saved model grow its stored bank and it still scores', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  pipeConsole(page);
  await openApp(page);
  await runDemo(page);

  // Not saved yet: nothing to add to.
  await expect(page.getByTestId('add-good')).toHaveCount(0);
  // The build made the bank's nearest-neighbour index (the kernels here search through one: WASM or the twin).
  await expect(page.getByTestId('engine-kernels')).toHaveAttribute('data-index', 'built');
  await page.getByTestId('panel-save').click();
  const item = page.getByTestId('library-item');
  await expect(item).toHaveCount(1);
  const rowsBefore = Number(await item.getAttribute('data-rows'));
  const imagesBefore = Number(await item.getAttribute('data-images'));
  expect(rowsBefore).toBeGreaterThan(0);
  expect(imagesBefore).toBeGreaterThan(0);

  await expect(page.getByTestId('add-good')).toBeVisible();
  await page.getByTestId('add-good-input').setInputFiles(pngs(4, 'more_good'));
  const result = page.getByTestId('extend-result');
  await expect(result.or(page.getByTestId('extend-error'))).toBeVisible({ timeout: 10 * 60_000 });
  await expect(page.getByTestId('extend-error')).toHaveCount(0);
  const m = /Added 4 images: bank ([\d,]+) → ([\d,]+) vectors\./.exec((await result.textContent()) ?? '');
  expect(m, (await result.textContent()) ?? "").toBeTruthy();
  const from = Number(m![1].replace(/,/g, ''));
  const to = Number(m![2].replace(/,/g, ''));
  expect(from).toBe(rowsBefore);
  expect(to).toBeGreaterThan(rowsBefore);
  await expect(result).toContainText('keeps its saved calibration');
  // The extended bank's index came back from the worker with it and was loaded, not built again.
  await expect(page.getByTestId('engine-kernels')).toHaveAttribute('data-index', 'restored');

  // The library holds the new version; the panel shows the active model's new size.
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-rows', String(to));
  await expect(item).toHaveAttribute('data-images', String(imagesBefore + 4));
  await expect(item).toContainText(`${imagesBefore + 4} images`);
  await expect(page.getByTestId('current-model')).toContainText(`${to.toLocaleString('en-US')} vectors · ${imagesBefore + 4} images`);
  await expect(page.getByTestId('current-model')).toContainText('saved');

  // Scoring still works with the extended model.
  await page.getByTestId('tab-inspect').click();
  const probes = pngs(2, 'probe').map((p) => ({ name: p.name, mime: p.mimeType, base64: p.buffer.toString('base64') }));
  await dropFiles(page, '[data-testid="inspect-dropzone"]', probes);
  for (const p of probes) {
    const row = page.locator(`[data-testid="result-row"][data-name="${p.name}"]`);
    await expect(row).toHaveAttribute('data-verdict', /^(pass|fail)$/, { timeout: 120_000 });
    expect(Number(await row.getAttribute('data-score'))).toBeGreaterThanOrEqual(0);
  }

  // A reopened copy from the library has the extended bank too, and its nearest-neighbour index, stored with the new
  // version, is restored rather than built again.
  const kernels = page.getByTestId('engine-kernels');
  const name = await item.getAttribute('data-name');
  /** Opens the saved model and waits until the worker holds it (each open loads it under a new key). */
  const open = async () => {
    const before = await kernels.getAttribute('data-model-key');
    await page.getByRole('button', { name: `Open ${name}`, exact: true }).click();
    await expect(kernels).toHaveAttribute('data-model-key', /\d+/);
    await expect(kernels).not.toHaveAttribute('data-model-key', before ?? '');
  };
  await open();
  await expect(page.getByTestId('current-model')).toContainText(`${to.toLocaleString('en-US')} vectors · ${imagesBefore + 4} images`);
  await expect(kernels).toHaveAttribute('data-index', 'restored');

  // A model stored before the library kept indexes (the index records removed): opening builds it once and stores
  // it, so the next open restores it.
  /** Index records in the app's IndexedDB library, counted and, with `remove`, deleted (one transaction). */
  const indexRecords = (remove: boolean) => page.evaluate((remove) => new Promise<number>((resolve, reject) => {
    const req = indexedDB.open('patchcore-web');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const tx = req.result.transaction('models', 'readwrite');
      const range = IDBKeyRange.bound('index:', 'index:\uffff');
      const keys = tx.objectStore('models').getAllKeys(range);
      keys.onsuccess = () => remove && tx.objectStore('models').delete(range);
      tx.oncomplete = () => {
        req.result.close();
        resolve(keys.result.length);
      };
      tx.onerror = () => reject(tx.error);
    };
  }), remove);
  // Two: the built version's, saved with it, and the extended one's.
  expect(await indexRecords(true)).toBe(2);
  await open();
  await expect(kernels).toHaveAttribute('data-index', 'built');
  await expect.poll(() => indexRecords(false)).toBe(1);
  await open();
  await expect(kernels).toHaveAttribute('data-index', 'restored');
});
