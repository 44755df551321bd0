// Same-named images from different folders (test/crack/000.png, test/good/000.png) and loose files that share a
// name: each keeps a name of its own in the results table, the CSV and the overlay ZIP.
import { expect, test } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApp, pipeConsole, runDemo } from './helpers/app';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';

const png = (t: number) => encodePng(scene(t, 320, 240), 320, 240);

/** Entry names of a stored ZIP, read from its local headers (src/ui/lib/zip.ts writes no data descriptors). */
function zipNames(zip: Buffer): string[] {
  const names: string[] = [];
  for (let o = 0; zip.readUInt32LE(o) === 0x04034b50; ) {
    const size = zip.readUInt32LE(o + 18), nameLen = zip.readUInt16LE(o + 26), extraLen = zip.readUInt16LE(o + 28);
    names.push(zip.subarray(o + 30, o + 30 + nameLen).toString('utf8'));
    o += 30 + nameLen + extraLen + size;
  }
  return names;
}

test('same-named images from different folders, and loose ones, are told apart in the table, the CSV and the ZIP', async ({ page }, testInfo) => {
  test.setTimeout(20 * 60_000);
  pipeConsole(page);
  await openApp(page);
  await runDemo(page); // a model to score with
  await page.getByRole('button', { name: 'Clear', exact: true }).click();

  // A picked folder: the browser gives each file's path (webkitRelativePath), e.g. test/crack/000.png. The page
  // reads the files from disk when it scores them, so they stay until the test ends (Playwright clears outputPath).
  const dir = testInfo.outputPath('test');
  for (const [kind, t] of [['crack', 7], ['good', 11]] as const) {
    mkdirSync(join(dir, kind), { recursive: true });
    writeFileSync(join(dir, kind, '000.png'), png(t));
  }
  await page.locator('[data-testid="inspect-dropzone"] input[webkitdirectory]').setInputFiles(dir);
  // Two loose files of the same name: no path to go by, so the second one is numbered.
  await dropFiles(page, '[data-testid="inspect-dropzone"]', [13, 17].map((t) => ({ name: '000.png', mime: 'image/png', base64: png(t).toString('base64') })));

  const rows = page.getByTestId('result-row');
  await expect(rows).toHaveCount(4);
  const expected = ['crack/000.png', 'good/000.png', '000.png', '000 (2).png'];
  expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(expected);
  await expect(page.locator('.td-name')).toHaveText(expected);
  await expect(page.locator('[data-testid="result-row"][data-verdict="queued"], [data-testid="result-row"][data-verdict="scoring"]')).toHaveCount(0, { timeout: 5 * 60_000 });
  await expect(page.locator('[data-testid="result-row"][data-verdict="error"]')).toHaveCount(0);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const files = readFileSync((await csv.path())!, 'utf8').trim().split(/\r?\n/).slice(1).map((line) => line.split(',')[0]);
  expect(files).toEqual(expected);

  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-overlays').click()]);
  expect(zipNames(readFileSync((await zip.path())!))).toEqual(['crack/000.overlay.png', 'good/000.overlay.png', '000.overlay.png', '000 (2).overlay.png']);
});
