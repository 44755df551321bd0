// The WebGPU device can be lost (driver reset, background tab); the engine must notice, recreate it and finish
// the job without losing the model. Forced here with device.destroy() on SwiftShader.
import { expect, test } from '@playwright/test';

test('a lost GPU device is recreated and the job still completes with the same model', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const r = await page.evaluate(() => (window as any).harness.engine.deviceLoss());
  console.log(JSON.stringify(r));
  expect(r.before).toBe('webgpu');
  expect(r.lost1).toBe(true);
  expect(r.scoreAfter).toBeCloseTo(r.scoreBefore, 3);
  expect(r.infoAfter.kernels).toBe('webgpu');
  expect(r.infoAfter.reason).toMatch(/recovered after the GPU device was lost/);
  expect(r.lost2).toBe(true);
  expect(r.recoveredMidJob).toBe(true);
  expect(r.rebuiltRows).toBe(r.bankRows);
});
