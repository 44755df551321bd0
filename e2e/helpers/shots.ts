// Screenshots of each journey, kept under test-results/screenshots/ for people to look at.
import type { Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHOTS = resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export async function shot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
