// Backbones the app offers but does not ship (INSTALLABLE_BACKBONES): listed as not installed until
// `npm run backbones:extra` has built their graph (the server's models.json says which), and a graph missing on the
// server is explained in words. models.json and the graph are routed here, so the spec holds with or without them.
import { expect, test } from '@playwright/test';
import { openApp, pipeConsole } from './helpers/app';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';

test.use({ serviceWorkers: 'block' }); // routes see every request only without the offline cache in between

const stills = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `part_${i}.png`, mime: 'image/png', base64: encodePng(scene(i * 3, 160, 120), 160, 120).toString('base64') }));

test('an installable backbone is listed as not installed with the command that installs it, and a missing graph is said in words', async ({ page }) => {
  pipeConsole(page);
  let listed = false;
  await page.route('**/models/models.json', (route) => route.fulfill({ json: { models: listed ? { mnv2_centernet: { file: 'mnv2_centernet.onnx' } } : {} } }));
  await page.route('**/models/mnv2_centernet.onnx', (route) => route.fulfill({ status: 404, body: 'not found' }));

  await openApp(page);
  await page.getByTestId('tab-build').click();
  const option = page.getByTestId('backbone-select').locator('option[value="mnv2_centernet"]');
  await expect(option).toHaveText(/\(not installed\)$/);
  await expect(option).toBeDisabled();
  await expect(page.getByTestId('backbone-install-note')).toContainText('run `npm run backbones:extra` where the app is installed');

  // Listed by the server (as after `npm run backbones:extra`) but its graph gone: choosing it explains, nothing breaks.
  listed = true;
  await page.reload();
  await openApp(page);
  await page.getByTestId('tab-build').click();
  await expect(option).toBeEnabled();
  await expect(option).not.toHaveText(/not installed/);
  await expect(page.getByTestId('backbone-install-note')).toHaveCount(0);
  await dropFiles(page, '[data-testid="good-dropzone"]', stills(2));
  await page.getByTestId('backbone-select').selectOption('mnv2_centernet');
  await expect(page.getByTestId('cost-estimate')).toContainText('is not installed on this server: run `npm run backbones:extra`', { timeout: 60_000 });
  await page.getByTestId('backbone-select').selectOption('mobilenet_v2_mid');
  await expect(page.getByTestId('cost-estimate')).toContainText('Build about', { timeout: 120_000 });
});
