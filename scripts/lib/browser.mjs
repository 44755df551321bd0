// Launching Debian's system Chromium the way the tests do (never a downloaded browser).
import { chromium } from '@playwright/test';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(extraArgs = []) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Forwards the page's console and errors to this process's output, prefixed. */
export function pipeConsole(page, prefix = 'page') {
  page.on('console', (m) => {
    const t = m.text();
    if (m.type() === 'error' || m.type() === 'warning') console.error(`[${prefix}] ${t}`);
    else if (process.env.VERBOSE) console.log(`[${prefix}] ${t}`);
  });
  page.on('pageerror', (e) => console.error(`[${prefix}] uncaught: ${e.message}`));
}

/** A page on the harness (/harness.html) of the app served at baseUrl, console piped, no timeouts, ready to call. */
export async function openHarness(browser, baseUrl, prefix = 'harness') {
  const page = await browser.newPage();
  pipeConsole(page, prefix);
  page.setDefaultTimeout(0);
  await page.goto(`${baseUrl}/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  return page;
}
