// The all-GPU path (backbone on ORT's WebGPU EP, WGSL kernels on ORT's own device, maps handed over as GPU
// buffers) gives the CPU path's answers, and survives losing that shared device. Forced here on SwiftShader.
import { expect, test } from '@playwright/test';

test('backbone and kernels share one WebGPU device, maps stay on it, and the results match the CPU path', async ({ page }) => {
  test.setTimeout(400_000);
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const r = await page.evaluate(() => (window as any).harness.engine.sharedDevice());
  console.log(JSON.stringify(r));
  expect(r.gpuInfo.executionPath).toBe('webgpu');
  expect(r.gpuInfo.kernels).toBe('webgpu');
  expect(r.gpuInfo.reason).toMatch(/sharing the model's WebGPU device/);
  expect(r.cpuInfo.kernels).toBe('cpu');
  // 2 training images, the same 2 again for their leave-one-out scores (nothing is held out), and 1 scored: two maps
  // each, all bound from ORT's buffers; none on the CPU path.
  expect(r.residentMaps).toEqual([10, 0]);
  expect(r.sameBankSize).toBe(true);
  // ORT's WebGPU and WASM backbones differ by ~3e-5 absolute; the kernels add float rounding only.
  expect(r.bankRelDiff).toBeLessThan(1e-4);
  expect(r.mapRelDiff).toBeLessThan(1e-4);
  expect(r.scores[0]).toBeCloseTo(r.scores[1], 3);
  // Losing the shared device: the backbone moves to WASM, the kernels to a fresh device, the model stays.
  expect(r.lost.lost).toBe(true);
  expect(r.lost.info.executionPath).toBe('wasm');
  expect(r.lost.info.reason).toMatch(/recovered after the GPU device was lost; the backbone now runs on WebAssembly/);
  expect(r.lost.score).toBeCloseTo(r.scores[1], 3);
});
