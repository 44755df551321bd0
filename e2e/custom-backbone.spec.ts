// Bring your own backbone, end to end: a tiny ONNX graph made here in node and its manifest are loaded through
// Build > Options, a model is built and scores images with it; a manifest that does not fit the graph is refused
// in a sentence and the backbone loaded before keeps working.
import { expect, test } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { model, node, tensor, valueInfo } from '../src/backbone/onnx/protobuf.mjs';
import { buildFrom, openApp, pipeConsole } from './helpers/app';
import type { NodeImage } from './helpers/data';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';
import { recordRequests } from './helpers/net';
import { shot } from './helpers/shots';

/** A fixed input side other than the built-ins' 224, so a build that ignored the manifest's inputSize would fail. */
const S = 64;
const ID = 'tiny_e2e';
const LABEL = 'Tiny e2e backbone';

/** Deterministic weights in [-0.5, 0.5): channels that differ, so the features carry some texture. */
function weights(n: number, seed: number, scale: number): Float32Array {
  const w = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    w[i] = (x / 2 ** 32 - 0.5) * scale;
  }
  return w;
}

/**
 * image [1,3,64,64] -> feat8 [1,4,8,8] (8x8/8 conv) -> relu -> feat16 [1,6,4,4] (2x2/2 conv). With `anySize`, the
 * same graph with symbolic height and width, as torch.onnx.export writes it with dynamic axes.
 */
function tinyBackbone(anySize = false): Buffer {
  const [h, w] = anySize ? ['height', 'width'] : [S, S];
  const bytes = model({
    name: 'tiny_e2e',
    nodes: [
      node('Conv', ['image', 'w8', 'b8'], ['feat8'], 'c8', { kernel_shape: [8, 8], strides: [8, 8], pads: [0, 0, 0, 0] }),
      node('Relu', ['feat8'], ['r8'], 'relu8'),
      node('Conv', ['r8', 'w16', 'b16'], ['feat16'], 'c16', { kernel_shape: [2, 2], strides: [2, 2] }),
    ],
    initializers: [
      tensor('w8', [4, 3, 8, 8], weights(4 * 3 * 8 * 8, 1, 0.2)),
      tensor('b8', [4], new Float32Array(4).fill(0.1)),
      tensor('w16', [6, 4, 2, 2], weights(6 * 4 * 2 * 2, 2, 1)),
      tensor('b16', [6], new Float32Array(6)),
    ],
    inputs: [valueInfo('image', [1, 3, h, w])],
    outputs: anySize
      ? [valueInfo('feat8', [1, 4, 'h8', 'w8']), valueInfo('feat16', [1, 6, 'h16', 'w16'])]
      : [valueInfo('feat8', [1, 4, 8, 8]), valueInfo('feat16', [1, 6, 4, 4])],
  });
  return Buffer.from(bytes);
}

const manifest = (firstOutput = 'feat8') => ({
  id: ID,
  label: LABEL,
  inputName: 'image',
  inputSize: S,
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
  taps: [
    { output: firstOutput, stride: 8, channels: 4 },
    { output: 'feat16', stride: 16, channels: 6 },
  ],
  license: 'made up for the test',
});

function stills(n: number, from = 0): NodeImage[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `part_${String(from + i).padStart(3, '0')}.png`,
    mime: 'image/png',
    base64: encodePng(scene((from + i) * 3, 160, 120), 160, 120).toString('base64'),
  }));
}

test('a custom ONNX backbone is loaded from Build > Options, builds and scores; a wrong manifest is refused in words', async ({ page }, testInfo) => {
  test.setTimeout(6 * 60_000);
  pipeConsole(page);
  const net = recordRequests(page);

  const dir = testInfo.outputPath('custom-backbone');
  mkdirSync(dir, { recursive: true });
  const onnxPath = join(dir, 'tiny.onnx');
  const goodJson = join(dir, 'tiny.json');
  const wrongJson = join(dir, 'tiny-wrong.json');
  writeFileSync(onnxPath, tinyBackbone());
  writeFileSync(goodJson, JSON.stringify(manifest(), null, 2));
  writeFileSync(wrongJson, JSON.stringify(manifest('layer2'), null, 2));

  await openApp(page);
  await expect(page.getByTestId('engine-backbone')).toHaveText('mobilenet_v2_mid');

  // Load the pair through the one file input: the select, the note and the engine header show it.
  await page.getByTestId('custom-backbone-input').setInputFiles([onnxPath, goodJson]);
  await expect(page.getByTestId('backbone-select')).toHaveValue(ID);
  await expect(page.getByTestId('backbone-select').locator('option:checked')).toContainText(LABEL);
  await expect(page.getByTestId('backbone-help')).toHaveText(`custom: ${LABEL}, 4 + 6 channels; weights' licence is yours to check`);
  await expect(page.getByTestId('engine-backbone')).toHaveText(ID);
  await expect(page.getByTestId('engine-info')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('custom-backbone-error')).toHaveCount(0);

  // Build with it, then score images with it.
  await buildFrom(page, stills(6), 4 * 60_000);
  await expect(page.getByTestId('build-summary')).toContainText(/Built from \d+ images/);
  await expect(page.getByTestId('engine-backbone')).toHaveText(ID);
  await shot(page, 'custom-backbone-built');
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', stills(2, 40));
  const scored = page.locator('[data-testid="result-row"][data-verdict="pass"], [data-testid="result-row"][data-verdict="fail"]');
  await expect(scored).toHaveCount(2, { timeout: 120_000 });
  const scores = await scored.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
  console.log(`custom backbone scores: ${scores.map((s) => s.toFixed(4)).join(', ')}`);
  for (const s of scores) expect(Number.isFinite(s) && s >= 0).toBe(true);

  // A manifest naming an output the graph lacks: the loader's sentence is shown, nothing else changes.
  await page.getByTestId('tab-build').click();
  await page.getByTestId('custom-backbone-input').setInputFiles([onnxPath, wrongJson]);
  const err = page.getByTestId('custom-backbone-error');
  await expect(err).toContainText('Manifest names output "layer2" but the model\'s outputs are: feat8, feat16');
  await expect(err).toContainText('The previous backbone stays selected.');
  await expect(page.getByTestId('backbone-select')).toHaveValue(ID);
  await expect(page.getByTestId('engine-backbone')).toHaveText(ID);
  await expect(page.getByTestId('engine-info')).toHaveAttribute('data-status', 'ready');
  await shot(page, 'custom-backbone-wrong-manifest');

  // ...and the backbone and model from before still score.
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', stills(1, 50));
  await expect(scored).toHaveCount(3, { timeout: 120_000 });
  await expect(page.locator('[data-testid="result-row"][data-verdict="error"]')).toHaveCount(0);

  // A manifest without its model: said so, and the custom backbone stays.
  await page.getByTestId('tab-build').click();
  await page.getByTestId('custom-backbone-input').setInputFiles([goodJson]);
  await expect(err).toContainText('Choose the model (.onnx), alone or together with its manifest (.json). Got tiny.json.');
  await expect(page.getByTestId('backbone-select')).toHaveValue(ID);

  expect(net.external(), 'requests that left 127.0.0.1').toEqual([]);
});

test('an ONNX file chosen alone gets its manifest proposed from its outputs, shown and downloadable, and builds', async ({ page }, testInfo) => {
  test.setTimeout(5 * 60_000);
  pipeConsole(page);
  const dir = testInfo.outputPath('custom-alone');
  mkdirSync(dir, { recursive: true });
  const anyPath = join(dir, 'my net.onnx');
  writeFileSync(anyPath, tinyBackbone(true));
  const squarePath = join(dir, 'fixed64.onnx');
  writeFileSync(squarePath, tinyBackbone(false));

  await openApp(page);
  await page.getByTestId('custom-backbone-input').setInputFiles([anyPath]);
  await expect(page.getByTestId('backbone-select')).toHaveValue('my_net');
  await expect(page.getByTestId('engine-backbone')).toHaveText('my_net');
  const proposal = page.getByTestId('custom-backbone-proposal');
  await expect(proposal).toContainText('feat8 [1, 4, 28, 28] is the stride-8 map and feat16 [1, 6, 14, 14] the stride-16 map of a 224 px input');
  await expect(proposal).toContainText('It takes other sizes in multiples of 16 px');
  await expect(proposal).toContainText("mean and std are ImageNet's; choose a manifest (.json) with the model if the network was trained with others");
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('custom-backbone-manifest').click()]);
  expect(download.suggestedFilename()).toBe('my net.json');
  const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(saved).toMatchObject({ id: 'my_net', inputName: 'image', inputSize: 224, inputMultiple: 16, taps: [{ output: 'feat8', stride: 8, channels: 4 }, { output: 'feat16', stride: 16, channels: 6 }] });

  await buildFrom(page, stills(5), 3 * 60_000);
  await expect(page.getByTestId('build-summary')).toContainText(/Built from \d+ images/);
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', stills(1, 40));
  await expect(page.locator('[data-testid="result-row"][data-verdict="pass"], [data-testid="result-row"][data-verdict="fail"]')).toHaveCount(1, { timeout: 120_000 });

  // A graph that runs only at 64 px: no probe size fits, the sentence says how to give the size, nothing changes.
  await page.getByTestId('tab-build').click();
  await page.getByTestId('custom-backbone-input').setInputFiles([squarePath]);
  const err = page.getByTestId('custom-backbone-error');
  await expect(err).toContainText('The model did not run on a [1, 3, S, S] image at any of 224x224');
  await expect(err).toContainText('choose a manifest (.json) with the model that gives its inputSize');
  await expect(err).toContainText('The previous backbone stays selected.');
  await expect(page.getByTestId('backbone-select')).toHaveValue('my_net');
  await expect(proposal).toHaveCount(0);
});
