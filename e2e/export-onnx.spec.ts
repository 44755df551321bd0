// "Export ONNX" in the model library: the "Try it" model is saved, exported, and the one ZIP download holds what
// `npx patchcore-web export` writes: <name>.onnx, the <name>.json sidecar and the Triton entry
// triton/<name>/{config.pbtxt, 1/model.onnx}. Nothing is fetched from outside the app's origin.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openApp, pipeConsole, runDemo } from './helpers/app';
import { recordRequests } from './helpers/net';

/** The entries of a stored (uncompressed) ZIP, read from its local headers. */
function readStoredZip(zip: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at + 30 <= zip.length && zip.readUInt32LE(at) === 0x04034b50) {
    expect(zip.readUInt16LE(at + 8), 'compression method (stored)').toBe(0);
    const size = zip.readUInt32LE(at + 18);
    const nameLen = zip.readUInt16LE(at + 26);
    const extraLen = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLen).toString('utf8');
    const start = at + 30 + nameLen + extraLen;
    out.set(name, zip.subarray(start, start + size));
    at = start + size;
  }
  return out;
}

test('Export ONNX downloads one ZIP with the graph, its sidecar and a Triton repository', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  pipeConsole(page);
  const net = recordRequests(page);
  await openApp(page);
  await runDemo(page);
  await page.getByTestId('panel-save').click();
  await expect(page.getByTestId('library-item')).toHaveCount(1);

  const button = page.getByTestId('library-item').getByRole('button', { name: /^Export .+ as ONNX$/ });
  const modelName = /^Export (.+) as ONNX$/.exec((await button.getAttribute('aria-label')) ?? '')![1];
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 5 * 60_000 }), button.click()]);
  const filename = download.suggestedFilename();
  expect(filename).toMatch(/-onnx\.zip$/);
  const name = filename.replace(/-onnx\.zip$/, '');

  const entries = readStoredZip(readFileSync((await download.path())!));
  expect([...entries.keys()].sort()).toEqual([`${name}.json`, `${name}.onnx`, `triton/${name}/1/model.onnx`, `triton/${name}/config.pbtxt`].sort());
  for (const [path, bytes] of entries) expect(bytes.length, `${path} bytes`).toBeGreaterThan(0);
  expect(entries.get(`triton/${name}/1/model.onnx`)!.equals(entries.get(`${name}.onnx`)!)).toBe(true);

  const sidecar = JSON.parse(entries.get(`${name}.json`)!.toString('utf8'));
  expect(sidecar.kind).toBe('patchcore-web onnx export');
  expect(sidecar.model.name).toBe(modelName);
  expect(sidecar.bank.sha256).toMatch(/^[0-9a-f]{64}$/);
  const config = entries.get(`triton/${name}/config.pbtxt`)!.toString('utf8');
  expect(config).toContain(`name: "${name}"`);
  expect(config).toContain(`name: "${sidecar.input.name}"`);
  expect(config).toContain('backend: "onnxruntime"');

  await expect(page.getByTestId('toasts').locator('.toast.is-error')).toHaveCount(0);
  expect(net.external(), 'requests that left 127.0.0.1').toEqual([]);
});

test('Export ONNX refuses a model the graph cannot express, with the reason in an error toast', async ({ page }) => {
  pipeConsole(page);
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  type W = { harness: { storage: typeof import('../src/harness/storage.harness') } };
  const saved = await page.evaluate(() =>
    (window as unknown as W).harness.storage.save({ name: 'Aligned grids', seed: 3, rows: 500, cols: 64, config: { alignGrids: true } }),
  );
  expect(saved.ok).toBe(true);

  await openApp(page);
  const downloads: string[] = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  await page.getByRole('button', { name: 'Export Aligned grids as ONNX', exact: true }).click();
  const toast = page.getByTestId('toasts').locator('.toast.is-error');
  await expect(toast).toContainText('Could not export the model as ONNX: This model cannot be exported: it uses the "alignGrids" experiment');
  expect(downloads, 'no download').toEqual([]);
});
