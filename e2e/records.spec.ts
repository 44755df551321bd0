// The inspector's record and review loop in real Chromium and IndexedDB: every inspected image leaves a record that
// survives a reload, a page closed mid-batch leaves only whole records, the storage budget trims thumbnails and
// says so, the report lists the fails, deleting the model keeps its records; and two false alarms, reviewed and
// taught, make a new version that passes them while the old version stays listed and usable (and the model's own
// export, imported again, becomes its next version); full storage keeps the verdict and says why.
import { expect, test, type Page } from '@playwright/test';
import { buildFrom, openApp, pipeConsole } from './helpers/app';
import type { NodeImage } from './helpers/data';
import { dropFiles } from './helpers/drop';
import { encodePng, scene } from './helpers/media';
import { shot } from './helpers/shots';
import { newBatchId, newRecordId } from '../src/storage/recordFormat';

const W = 320, H = 240;

function still(name: string, t: number, defect = false): NodeImage {
  const px = scene(t, W, H);
  if (defect) {
    // A dark scratch across the disc: far from anything the good stills hold.
    for (let y = 100; y < 118; y++) for (let x = 120; x < 200; x++) px.set([20, 240, 30, 255], (y * W + x) * 4);
  }
  return { name, mime: 'image/png', base64: encodePng(px, W, H).toString('base64') };
}

const goods = [0, 9, 18, 27, 36, 45].map((t) => still(`train_${t}.png`, t));

async function buildAndSave(page: Page): Promise<void> {
  await openApp(page);
  await buildFrom(page, goods);
  await page.getByTestId('panel-save').click();
  await expect(page.getByTestId('library-item')).toHaveCount(1);
}

async function inspect(page: Page, images: NodeImage[]): Promise<void> {
  await page.getByTestId('tab-inspect').click();
  await dropFiles(page, '[data-testid="inspect-dropzone"]', images);
  for (const img of images) {
    await expect(page.locator(`[data-testid="result-row"][data-name="${img.name}"]`)).toHaveAttribute('data-verdict', /^(pass|fail)$/, { timeout: 180_000 });
  }
}

/** Whether the page's IndexedDB holds an unsaved model kept for the next visit. */
function hasDraft(): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('patchcore-web-records');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const r = open.result.transaction('records', 'readonly').objectStore('records').count('draft:model');
      r.onsuccess = () => {
        resolve(r.result === 1);
        open.result.close();
      };
    };
  });
}

/** Every record in the page's IndexedDB, read directly (not through the app), with what a whole one must have. */
function readRecords(page: Page): Promise<{ file: string; whole: boolean; thumb: boolean; consistent: boolean }[]> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('patchcore-web-records');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const s = db.transaction('records', 'readonly').objectStore('records');
          const recs = s.getAll(IDBKeyRange.bound('r:', 'r:\uffff'));
          const thumbs = s.getAllKeys(IDBKeyRange.bound('t:', 't:\uffff'));
          s.transaction.oncomplete = () => {
            const t = new Set((thumbs.result as string[]).map((k) => k.slice(2)));
            resolve(
              (recs.result as Record<string, unknown>[]).map((r) => ({
                file: r.file as string,
                whole:
                  typeof r.score === 'number' && typeof r.threshold === 'number' && (r.verdict === 'pass' || r.verdict === 'fail') &&
                  typeof (r.model as { name?: unknown })?.name === 'string' && typeof r.at === 'number' && typeof r.workingSize === 'number',
                thumb: !!r.thumb && t.has(r.id as string),
                // A record says it has a thumbnail exactly when one is stored.
                consistent: !!r.thumb === t.has(r.id as string),
              })),
            );
            db.close();
          };
        };
      }),
  );
}

test('records survive a reload and a closed page, the budget trims thumbnails, the report lists fails, a deleted model keeps its records', async ({ page, context }) => {
  test.setTimeout(12 * 60_000);
  pipeConsole(page);
  await buildAndSave(page);
  const modelRows = await page.getByTestId('library-item').getAttribute('data-rows');

  const batch = [still('ok_3.png', 3), still('ok_21.png', 21), still('scratch_a.png', 5, true), still('scratch_b.png', 40, true)];
  await inspect(page, batch);
  const verdicts = await page.getByTestId('result-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-name'), e.getAttribute('data-verdict')]));
  const fails = verdicts.filter(([, v]) => v === 'fail').map(([n]) => n);
  expect(fails).toEqual(expect.arrayContaining(['scratch_a.png', 'scratch_b.png']));
  await expect.poll(async () => (await readRecords(page)).length).toBe(4);

  // Reload: the records are there and the model last in use is open again.
  await page.reload();
  await expect(page.getByTestId('current-model').locator('.badge-ok')).toHaveText('saved', { timeout: 60_000 });
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('history-counts')).toHaveAttribute('data-total', '4');
  await expect(page.getByTestId('history-row')).toHaveCount(4);
  await expect(page.locator('[data-testid="history-row"][data-file="scratch_a.png"]')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.getByTestId('pass-rate-chart')).toBeVisible();
  // Review in History by keyboard: d on the cursor's record confirms the defect, and the cursor moves on.
  await page.locator('[data-testid="history-row"][data-file="scratch_a.png"]').click();
  await page.keyboard.press('d');
  await expect(page.locator('[data-testid="history-row"][data-file="scratch_a.png"]')).toHaveAttribute('data-review', 'defect');
  await expect(page.getByTestId('history-counts')).toContainText('1 reviewed');
  await page.getByTestId('history-reviewed').selectOption('defect');
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  await page.getByTestId('history-reviewed').selectOption('all');
  await shot(page, 'history');

  // The report of the batch lists its fails.
  await page.getByTestId('history-report').click();
  await expect(page.getByTestId('report')).toBeVisible();
  await expect(page.getByTestId('report-counts')).toHaveText(`4 inspected · ${4 - fails.length} pass · ${fails.length} fail`);
  await expect(page.getByTestId('report-fail')).toHaveCount(fails.length);
  for (const f of fails) await expect(page.locator(`[data-testid="report-fail"][data-file="${f}"] img`)).toBeVisible();
  await shot(page, 'report');
  await page.emulateMedia({ media: 'print' });
  await shot(page, 'report-print');
  await page.emulateMedia({ media: 'screen' });
  await page.getByTestId('report-close').click();

  // A page closed mid-batch: every record written before is whole, none is half written, the model is untouched.
  await page.getByTestId('tab-inspect').click();
  // Long enough that the page is closed while it still scores, on a fast machine too (12 once all got written first).
  const BATCH = 40;
  const many = Array.from({ length: BATCH }, (_, i) => still(`run2_part_${String(i).padStart(2, '0')}.png`, 50 + i * 3));
  await dropFiles(page, '[data-testid="inspect-dropzone"]', many);
  let seen = 0;
  await expect.poll(async () => (seen = (await readRecords(page)).length), { timeout: 180_000 }).toBeGreaterThanOrEqual(4 + 5);
  await page.close({ runBeforeUnload: false });
  const next = await context.newPage();
  pipeConsole(next, 'reopened');
  await openApp(next);
  const after = await readRecords(next);
  console.log(`closed mid-batch: ${after.length - 4} of ${BATCH} records written`);
  expect(after.length).toBeGreaterThanOrEqual(seen);
  expect(after.length).toBeLessThan(4 + BATCH);
  expect(after.filter((r) => !r.whole || !r.consistent)).toEqual([]);
  await expect(next.getByTestId('library-item')).toHaveAttribute('data-rows', modelRows!);

  // The storage budget: thumbnails past it go, oldest first, and the app says so; every figure stays.
  await next.getByTestId('tab-history').click();
  await expect(next.getByTestId('history-counts')).toHaveAttribute('data-total', String(after.length));
  await next.getByTestId('history-budget').fill('0.01');
  await next.getByTestId('history-budget-set').click();
  await expect(next.getByTestId('history-trimmed')).toContainText(/removed the thumbnails of the \d+ oldest records? .*Their scores and verdicts stay\./);
  const trimmed = await readRecords(next);
  expect(trimmed).toHaveLength(after.length);
  expect(trimmed.filter((r) => !r.whole || !r.consistent)).toEqual([]);
  expect(trimmed[0].thumb).toBe(false);
  expect(trimmed[trimmed.length - 1].thumb).toBe(true);

  // Another window of the app follows: what is added here shows there.
  const other = await context.newPage();
  await other.goto('/');
  await other.getByTestId('tab-history').click();
  await expect(other.getByTestId('history-counts')).toHaveAttribute('data-total', String(after.length));

  // Records from the command line (`inspect --records`) read in alike; a cut-off last line is named, not taken.
  const at = Date.now();
  const cli = { schema: 1, id: newRecordId(at), at, file: 'line3/cli_0001.png', source: 'cli', batch: newBatchId(at), model: { id: null, name: 'line model', version: null }, workingSize: 224, threshold: 2, score: 3.5, verdict: 'fail', label: null, review: null, thumb: null };
  await next.getByTestId('history-import').setInputFiles({ name: 'line3.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(`${JSON.stringify(cli)}\n{"schema":1,"id":"cut`) });
  await expect(next.getByTestId('history-counts')).toHaveAttribute('data-total', String(after.length + 1));
  await expect(next.getByText('line3.jsonl: 1 record added to History. 1 line was not records (line 2 is not JSON (cut off?)).')).toBeVisible();
  await expect(other.getByTestId('history-counts')).toHaveAttribute('data-total', String(after.length + 1));
  await other.close();

  // Deleting the model keeps its records, shown as a deleted model.
  await next.getByRole('button', { name: /^Delete / }).click();
  await expect(next.getByTestId('library-item')).toHaveCount(0);
  await expect(next.getByTestId('history-counts')).toHaveAttribute('data-total', String(after.length + 1));
  await expect(next.getByTestId('deleted-model').first()).toBeVisible();
});

test('an unsaved build is offered back after a reload; two false alarms reviewed and taught make a new version that passes them; the old version stays listed and usable; full storage keeps the verdict and says why', async ({ page }) => {
  test.setTimeout(12 * 60_000);
  pipeConsole(page);
  page.on('dialog', (d) => void d.accept()); // "leave with an unsaved model?" on reload
  await openApp(page);
  await buildFrom(page, goods);
  // Built, not saved, page reloaded: the model is offered back rather than gone.
  await expect.poll(() => page.evaluate(hasDraft)).toBe(true);
  await page.reload();
  await expect(page.getByTestId('resume-offer')).toContainText('was built on');
  await page.getByTestId('resume-restore').click();
  await expect(page.getByTestId('current-model')).toContainText('unsaved');
  await page.getByTestId('panel-save').click();
  await expect(page.getByTestId('library-item')).toHaveCount(1);
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);
  await expect.poll(() => page.evaluate(hasDraft)).toBe(false); // saved: nothing left to offer

  const alarms = [still('flagged_1.png', 7, true), still('flagged_2.png', 31, true)];
  await inspect(page, [...alarms, still('ok_12.png', 12), still('ok_24.png', 24)]);
  for (const a of alarms) await expect(page.locator(`[data-testid="result-row"][data-name="${a.name}"]`)).toHaveAttribute('data-verdict', 'fail');

  // Review both by keyboard: tick each with x, then g marks the ticked ones good (false alarm).
  for (const a of alarms) await expect(page.locator(`[data-testid="result-row"][data-name="${a.name}"]`)).not.toHaveAttribute('data-record', '');
  await page.locator(`[data-testid="result-row"][data-name="${alarms[0].name}"]`).click();
  await page.keyboard.press('x');
  await page.locator(`[data-testid="result-row"][data-name="${alarms[1].name}"]`).click();
  await page.keyboard.press('x');
  await page.keyboard.press('g');
  for (const a of alarms) await expect(page.locator(`[data-testid="result-row"][data-name="${a.name}"]`)).toHaveAttribute('data-review', 'good');

  await page.getByTestId('inspect-teach').click();
  await expect(page.getByTestId('teach-plan')).toContainText('2 images marked good (false alarm)');
  await page.getByTestId('teach-run').click();
  await expect(page.getByTestId('teach-measure').or(page.getByTestId('teach-error'))).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('teach-error')).toHaveCount(0);
  await expect(page.getByTestId('teach-heldout')).toContainText('good images of this session that were not taught');
  await expect(page.getByTestId('teach-row')).toHaveCount(2);
  console.log(`teach: ${await page.getByTestId('teach-measure').innerText()}`);
  await shot(page, 'teach');
  await page.getByTestId('teach-save').click();
  await expect(page.getByTestId('teach')).toHaveCount(0, { timeout: 60_000 });

  // The new version is open, and the images are scored again with it: the taught ones pass.
  for (const a of alarms) {
    await expect(page.locator(`[data-testid="result-row"][data-name="${a.name}"]`)).toHaveAttribute('data-verdict', 'pass', { timeout: 180_000 });
  }
  await page.getByTestId('versions-toggle').click();
  await expect(page.getByTestId('version')).toHaveCount(2);
  await expect(page.locator('[data-testid="version"][data-current="true"]')).toHaveAttribute('data-version', '2');
  await expect(page.locator('[data-testid="version"][data-version="2"]')).toContainText('2 false alarms taught');
  await shot(page, 'versions');

  // The exported model imported again becomes its next version (the app asks; this test agrees).
  const [exported] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Export ${await page.getByTestId('library-item').getAttribute('data-name')}`, exact: true }).click()]);
  await page.locator('input[type="file"][accept=".patchcore,application/octet-stream"]').setInputFiles((await exported.path())!);
  await expect(page.getByTestId('version')).toHaveCount(3);
  await expect(page.getByTestId('library-item')).toHaveCount(1);

  // The old version is still usable: going back to it flags the two again.
  await page.locator('[data-testid="version"][data-version="1"]').getByTestId('version-use').click();
  await expect(page.locator('[data-testid="version"][data-current="true"]')).toHaveAttribute('data-version', '1');
  for (const a of alarms) {
    await expect(page.locator(`[data-testid="result-row"][data-name="${a.name}"]`)).toHaveAttribute('data-verdict', 'fail', { timeout: 180_000 });
  }

  // Full storage (simulated: the records database refuses every write as a full origin does): the image still gets
  // its verdict, the app says the record was not saved and why, and the records already stored are untouched.
  // Going back re-scored the rows, and each re-score writes its record just after its verdict shows: count them once
  // every row is scored and the count has held for a second.
  await expect(page.locator('[data-testid="result-row"][data-verdict="queued"], [data-testid="result-row"][data-verdict="scoring"]')).toHaveCount(0, { timeout: 180_000 });
  let stored = -1;
  await expect
    .poll(async () => {
      const n = (await readRecords(page)).length;
      const settled = n === stored;
      stored = n;
      return settled;
    }, { intervals: [1000], timeout: 60_000 })
    .toBe(true);
  await page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.transaction.db.name === 'patchcore-web-records') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await inspect(page, [still('after_full.png', 14)]);
  await expect(page.getByTestId('record-save-error')).toContainText('The record of after_full.png could not be saved: browser storage is full');
  expect(await readRecords(page)).toHaveLength(stored);
});
