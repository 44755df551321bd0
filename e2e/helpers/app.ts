// Steps shared by the journeys: open the app and wait for the engine, build a model from dropped images.
import { expect, type Page } from '@playwright/test';
import type { NodeImage } from './data';
import { dropFiles } from './drop';

export function pipeConsole(page: Page, prefix = 'page'): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning' || process.env.VERBOSE) console.log(`[${prefix}:${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[${prefix}] uncaught: ${e.message}`));
}

/** Opens the app and waits until the engine reports ready (or fails the test with the engine's own message). */
export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  const info = page.getByTestId('engine-info');
  await expect(info).toHaveAttribute('data-status', /ready|error/, { timeout: 120_000 });
  if ((await info.getAttribute('data-status')) === 'error') {
    const msg = await page.getByTestId('engine-error-banner').textContent();
    throw new Error(`Engine did not start: ${msg}`);
  }
}

/** Drops good images on the Build tab, builds, and waits for the calibration section. */
export async function buildFrom(page: Page, images: NodeImage[], timeout = 15 * 60_000): Promise<number> {
  await page.getByTestId('tab-build').click();
  await dropFiles(page, '[data-testid="good-dropzone"]', images);
  await expect(page.getByTestId('good-count')).toHaveText(`${images.length} image${images.length === 1 ? '' : 's'}`);
  const t0 = Date.now();
  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-progress').or(page.getByTestId('build-summary'))).toBeVisible();
  await expect(page.getByTestId('build-summary').or(page.getByTestId('build-error'))).toBeVisible({ timeout });
  const err = page.getByTestId('build-error');
  if (await err.isVisible()) throw new Error(`Build failed: ${await err.textContent()}`);
  await expect(page.getByTestId('calibration')).toBeVisible();
  return (Date.now() - t0) / 1000;
}

/** "Try it": builds a model on the generated demo parts and waits until every demo test image is scored. */
export async function runDemo(page: Page): Promise<void> {
  const tryIt = page.getByTestId('try-it');
  await expect(tryIt, 'the "Try it" demo button').toBeVisible();
  await tryIt.click();
  await expect(page.getByTestId('tab-inspect')).toHaveAttribute('aria-selected', 'true', { timeout: 15 * 60_000 });
  await expect(page.locator('[data-testid="result-row"][data-verdict="queued"], [data-testid="result-row"][data-verdict="scoring"]')).toHaveCount(0, { timeout: 5 * 60_000 });
}
