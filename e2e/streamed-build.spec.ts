// The streamed memory bank in the browser: chunks selected by the engine worker's pool of selection workers give a
// bank of the same size as one exact greedy pass and the same verdicts; the engine estimates the whole build;
// cancel stops a streamed build within a second and leaves the active model alone.
import { expect, test } from '@playwright/test';

test('a streamed build matches the exact one, estimates its time, and cancels within a second', async ({ page }) => {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[page error] ${m.text()}`);
  });
  await page.goto('/harness.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  // 60 images of 784 patches: 47,040 x 4,704 distance evaluations, past the exact-pass bound, so it streams.
  const r = await page.evaluate(() => (window as any).harness.engine.streamedBuild({ images: 60, chunk: 8192 }));
  console.log(`streamed build: ${JSON.stringify(r)}`);
  expect(r.exact).toEqual({ rows: Math.floor(60 * 784 * 0.1), patches: 60 * 784 });
  expect(r.streamed).toEqual(r.exact);
  expect(r.engineEtas).toBeGreaterThan(0);
  const worstGood = (s: number[]) => Math.max(...s.filter((_, i) => r.labels[i] === 0));
  const bestBad = (s: number[]) => Math.min(...s.filter((_, i) => r.labels[i] === 1));
  expect(bestBad(r.exactScores)).toBeGreaterThan(worstGood(r.exactScores));
  expect(bestBad(r.streamedScores)).toBeGreaterThan(worstGood(r.streamedScores));
  r.streamedScores.forEach((s: number, i: number) => expect(Math.abs(s - r.exactScores[i]) / r.exactScores[i]).toBeLessThan(0.1));
  expect(r.cancel.name).toBe('AbortError');
  expect(r.cancel.seconds).toBeLessThan(1);
  expect(r.scoreAfterCancel).toBe(r.streamedScores[0]);
});

test('a selection split over workers at a barrier picks the same rows as one worker, and cancels within a second', async ({ page }) => {
  await page.goto('/harness.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const r = await page.evaluate(() => (window as any).harness.engine.teamSelection({ rows: 12000, cols: 184, count: 1200, shares: 3 }));
  console.log(`team selection: ${JSON.stringify(r)}`);
  expect(r.isolated).toBe(true);
  expect(r.count).toBe(1200);
  expect(r.distinct).toBe(1200);
  expect(r.same).toBe(true);
  expect(r.progress).toBeGreaterThan(0);
  expect(r.cancel.name).toBe('AbortError');
  expect(r.cancel.seconds).toBeLessThan(1);
});
