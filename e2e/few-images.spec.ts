// An offline demo starts from a handful of photos: one good image builds a model, a few build one whose threshold
// says what it rests on, and a defect is still flagged.
import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildFrom, openApp, pipeConsole } from './helpers/app';
import { dataDir, readImages } from './helpers/data';
import { dropFiles } from './helpers/drop';

test('one good photo builds a model that says how little its threshold rests on; five use the learnt images too', async ({ page }) => {
  const root = dataDir();
  const set = root && join(root, 'hazelnut_small');
  test.skip(!set || !existsSync(set), `shared data not found (set PATCHCORE_DATA or place it at ../shared/data): ${set ?? 'no data dir'}`);
  test.setTimeout(10 * 60_000);
  pipeConsole(page);
  await openApp(page);

  const good = readImages(join(set!, 'train', 'good'), 5);
  await buildFrom(page, good.slice(0, 1));
  await expect(page.getByTestId('build-summary')).toContainText('Built from 1 image (');
  await expect(page.getByTestId('calibration-note')).toContainText('rests on the halves of the one image scored against each other');

  await page.getByTestId('good-clear').click();
  await buildFrom(page, good);
  await expect(page.getByTestId('holdout-help')).toContainText('1 of 5 good images are set aside');
  await expect(page.getByTestId('calibration-note')).toContainText('rests on 1 held-out image and 4 learnt images, each scored against a memory of the others');
  await page.getByTestId('tab-inspect').click();
  const defects = readImages(join(set!, 'test', 'crack'), 1);
  await dropFiles(page, '[data-testid="inspect-dropzone"]', defects);
  // A cracked hazelnut against the five-photo model: scored, with a verdict.
  const row = page.getByTestId('result-row').first();
  await expect(row).toHaveAttribute('data-verdict', /pass|fail/, { timeout: 3 * 60_000 });
});
