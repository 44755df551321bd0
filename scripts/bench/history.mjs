#!/usr/bin/env node
// npm run bench -- history [--records N]: the History tab with N inspection records (default 10,000) in the system
// Chromium against the built app (PATCHCORE_DIST or dist/): time to read the records, to open the tab, and to apply
// each filter (click to the new count on screen, Playwright round trips included). Prints a table, writes
// bench-results/history.json. The figures are measured, not asserted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { launchChromium, pipeConsole } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { dist, opt, requireBuild, root } from './_args.mjs';

requireBuild();
const count = Number(opt('records', 10_000));
const server = await startServer({ root: dist });
const browser = await launchChromium();
const rows = [];
try {
  const page = await browser.newPage();
  pipeConsole(page, 'history');
  await page.goto(`${server.url}/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.evaluate((n) => window.harness.records.seed(n), count);
  const list = await page.evaluate(() => window.harness.records.timeList());
  rows.push(['read all records (IndexedDB getAll)', list.ms]);

  // A fresh page load, timed from navigation to the records on screen (the engine starts at the same time).
  const tLoad = performance.now();
  await page.goto(`${server.url}/`);
  await page.getByTestId('tab-history').click();
  await page.locator(`[data-testid="history-counts"][data-total="${count}"]`).waitFor({ timeout: 60_000 });
  await page.getByTestId('history-row').first().waitFor();
  rows.push(['page load to History listing every record', performance.now() - tLoad]);
  // Then, with the engine started, leaving the tab and opening it again.
  await page.locator('[data-testid="engine-info"][data-status="ready"]').waitFor({ timeout: 120_000 });
  await page.getByTestId('tab-inspect').click();
  const counts = page.getByTestId('history-counts');
  const timed = async (label, act, total) => {
    const t0 = performance.now();
    await act();
    await page.locator(`[data-testid="history-counts"][data-total="${total}"]`).waitFor({ timeout: 60_000 });
    await page.getByTestId('history-row').first().waitFor();
    rows.push([label, performance.now() - t0]);
  };
  await timed('open the History tab', () => page.getByTestId('tab-history').click(), count);
  const totalNow = async () => Number(await counts.getAttribute('data-total'));
  const filterTo = async (label, testId, value) => {
    const before = await totalNow();
    const t0 = performance.now();
    await page.getByTestId(testId).selectOption(value);
    await page.waitForFunction((b) => Number(document.querySelector('[data-testid="history-counts"]')?.getAttribute('data-total')) !== b, before, { polling: 'raf', timeout: 60_000 });
    rows.push([`${label} (${await totalNow()} shown)`, performance.now() - t0]);
  };
  await filterTo('filter: verdict fail', 'history-verdict', 'fail');
  await filterTo('filter: one model', 'history-model', 'seed-cap');
  await filterTo('filter: not reviewed', 'history-reviewed', 'no');
  await filterTo('filter: all verdicts again', 'history-verdict', 'all');
  // Scrolling to the end renders only the rows on screen.
  const t0 = performance.now();
  await page.getByTestId('history-list').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-row"]').length > 0, null, { polling: 'raf' });
  rows.push([`scroll to the end (${await page.getByTestId('history-row').count()} rows in the DOM)`, performance.now() - t0]);
} finally {
  await browser.close();
  await server.close();
}
console.log(`\nHistory with ${count.toLocaleString()} records, ${cpus().length} cores\n`);
for (const [label, ms] of rows) console.log(`${label.padEnd(52)}${ms.toFixed(0).padStart(7)} ms`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'history.json'), JSON.stringify({ date: new Date().toISOString(), records: count, cpus: cpus().length, rows: rows.map(([label, ms]) => ({ label, ms })) }, null, 2));
console.log('\nwrote bench-results/history.json');
