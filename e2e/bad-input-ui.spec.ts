// Bad input in the app UI (issue 6): each bad file dropped on the Inspect tab, or imported as a model, shows its
// message to the user, valid oddities are scored, and the saved models in the library are untouched throughout.
// Fixtures are written byte by byte (e2e/helpers/imageBytes.ts); messages are those of src/worker/decode.ts and
// src/storage/exportFormat.ts.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { formatBytes } from '../src/lib/format';
import { openApp, pipeConsole, runDemo } from './helpers/app';
import type { NodeImage } from './helpers/data';
import { dropFiles } from './helpers/drop';
import { encodeJpeg, encodePng } from './helpers/imageBytes';
import { shot } from './helpers/shots';

const file = (name: string, bytes: Buffer, mime: string): NodeImage => ({ name, mime, base64: bytes.toString('base64') });

/** Every record of the 'models' store of the 'patchcore-web' database: keys, and each meta record in full. */
async function librarySnapshot(page: Page): Promise<{ keys: string[]; metas: Record<string, string> }> {
  return page.evaluate(
    () =>
      new Promise<{ keys: string[]; metas: Record<string, string> }>((resolve, reject) => {
        const open = indexedDB.open('patchcore-web');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const store = db.transaction('models', 'readonly').objectStore('models');
          const keysReq = store.getAllKeys();
          const valsReq = store.getAll();
          valsReq.onsuccess = () => {
            const keys = (keysReq.result as IDBValidKey[]).map(String);
            const metas: Record<string, string> = {};
            keys.forEach((k, i) => {
              if (k.startsWith('meta:')) metas[k] = JSON.stringify(valsReq.result[i]);
            });
            db.close();
            resolve({ keys: keys.sort(), metas });
          };
          valsReq.onerror = () => reject(valsReq.error);
        };
      }),
  );
}

/** What the library panel shows: one entry per saved model, with the current model's vector count when it is open. */
async function libraryList(page: Page): Promise<string[]> {
  return page.getByTestId('library-item').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-name')} | ${e.querySelector('.library-open')?.textContent ?? ''}`));
}

const row = (page: Page, name: string) => page.locator(`[data-testid="result-row"][data-name="${name}"]`);

/** Selects a failed row and returns the message the viewer shows for it. */
async function errorShown(page: Page, name: string): Promise<string> {
  await expect(row(page, name)).toHaveAttribute('data-verdict', 'error', { timeout: 120_000 });
  await row(page, name).click();
  const alert = page.locator('.inspect-right [role="alert"]');
  await expect(alert).toHaveCount(1);
  return (await alert.textContent()) ?? '';
}

test('bad files dropped on Inspect and bad model files imported show their message and leave the library as it was', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  pipeConsole(page);
  await openApp(page);

  // A small model from the demo, saved to the library.
  await runDemo(page);
  const current = page.getByTestId('current-model');
  const vectors = /([\d,]+) vectors/.exec((await current.textContent()) ?? '')?.[1];
  expect(vectors, 'vector count shown for the current model').toBeTruthy();
  await page.getByTestId('panel-save').click();
  await expect(current).toContainText('saved');
  const items = page.getByTestId('library-item');
  await expect(items).toHaveCount(1);
  const modelName = (await items.first().getAttribute('data-name'))!;
  const listBefore = await libraryList(page);
  const storedBefore = await librarySnapshot(page);
  expect(Object.keys(storedBefore.metas)).toHaveLength(1);
  expect(storedBefore.metas[Object.keys(storedBefore.metas)[0]]).toContain(`"rows":${vectors!.replace(/,/g, '')}`);

  // A valid export, to truncate later.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Export ${modelName}`, exact: true }).click()]);
  const exported = readFileSync((await download.path())!);

  // Bad and odd images on the Inspect tab.
  await page.getByTestId('tab-inspect').click();
  const notes = Buffer.from('Shift notes: line 3 stopped at 14:02, restarted 14:20.\n');
  const jpg = encodeJpeg({ width: 256, height: 192, components: 3, block: (x, y, c) => (c === 0 ? 60 + ((x * 7 + y * 13) % 150) : 118 + ((x + y) % 20)) });
  const cut = jpg.subarray(0, Math.floor(jpg.length * 0.6));
  await dropFiles(page, '[data-testid="inspect-dropzone"]', [
    file('bad_empty.png', Buffer.alloc(0), 'image/png'),
    file('bad_notes.png', notes, 'image/png'),
    file('bad_cut.jpg', cut, 'image/jpeg'),
    file('odd_deep16.png', encodePng({ width: 96, height: 72, colorType: 2, bitDepth: 16, sample: (x, y, c) => (x + y + 10 * c) / 200 }), 'image/png'),
    file('odd_cmyk.jpg', encodeJpeg({ width: 128, height: 96, components: 4, block: (x, _y, c) => (c === 3 ? 20 : 40 + c * 40 + x) }), 'image/jpeg'),
    file('odd_tiny.png', encodePng({ width: 20, height: 20, colorType: 2, bitDepth: 8, sample: (x, y, c) => ((x + y) % 2 ? 0.7 : 0.3) + c * 0.05 }), 'image/png'),
  ]);
  expect(await errorShown(page, 'bad_empty.png')).toBe('bad_empty.png is empty (0 bytes), so it is not an image');
  expect(await errorShown(page, 'bad_notes.png')).toBe(`bad_notes.png is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (${notes.length} bytes)`);
  expect(await errorShown(page, 'bad_cut.jpg')).toBe(`bad_cut.jpg looks like a JPEG file but could not be decoded: it may be truncated or corrupt (${formatBytes(cut.length)})`);
  for (const name of ['odd_deep16.png', 'odd_cmyk.jpg', 'odd_tiny.png']) {
    await expect(row(page, name)).toHaveAttribute('data-verdict', /^(pass|fail)$/, { timeout: 120_000 });
    expect(Number.isFinite(Number(await row(page, name).getAttribute('data-score'))), `${name} score`).toBe(true);
  }
  await expect(page.locator('.inspect-left .error')).toHaveText('3 images could not be scored.');

  // Malformed model files imported through the library panel.
  const importInput = page.locator('[data-testid="library"] input[type="file"]');
  const toasts = page.getByTestId('toasts');
  const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
  await importInput.setInputFiles({ name: 'noise.patchcore', mimeType: 'application/octet-stream', buffer: noise });
  await expect(toasts.locator('.toast.is-error').filter({ hasText: 'noise.patchcore' }).locator('span').first()).toHaveText(
    'noise.patchcore could not be imported: This file is not a patchcore-web model: it does not start with the .patchcore signature.',
  );
  const half = exported.subarray(0, Math.floor(exported.length / 2));
  await importInput.setInputFiles({ name: 'half.patchcore', mimeType: 'application/octet-stream', buffer: half });
  await expect(toasts.locator('.toast.is-error').filter({ hasText: 'half.patchcore' }).locator('span').first()).toHaveText(
    `half.patchcore could not be imported: This model file is incomplete: it has ${formatBytes(half.length)} of the ${formatBytes(exported.length)} it should have. Copy or download it again.`,
  );
  await shot(page, 'bad-input-ui');

  // The library is exactly as it was: same list, same stored records.
  await expect(items).toHaveCount(1);
  expect(await libraryList(page)).toEqual(listBefore);
  expect(await librarySnapshot(page)).toEqual(storedBefore);

  // The saved model still opens and scores.
  await page.getByRole('button', { name: `Open ${modelName}`, exact: true }).click();
  await expect(current).toContainText(modelName);
  await expect(current).toContainText(`${vectors} vectors`);
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', [file('after.jpg', jpg, 'image/jpeg')]);
  await expect(row(page, 'after.jpg')).toHaveAttribute('data-verdict', /^(pass|fail)$/, { timeout: 120_000 });
  expect(await librarySnapshot(page)).toEqual(storedBefore);
});
