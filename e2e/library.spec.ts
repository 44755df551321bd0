// Model library journeys in real Chromium and real IndexedDB: a model survives a reload bit for bit, a save cut
// off mid-write leaves the previous version and nothing half-written, and a full origin gives a clear error.
import { expect, test, type Page } from '@playwright/test';
import type * as StorageHarness from '../src/harness/storage.harness';

/** The page's window with this spec's harness module (cast inside each evaluate: other specs type the rest). */
type W = { harness: { storage: typeof StorageHarness } };

async function openHarness(page: Page): Promise<void> {
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

function ok<T>(o: StorageHarness.Outcome<T>): T {
  if (!o.ok) throw new Error(`${o.code}: ${o.message}`);
  return o.value;
}

test('a saved model reopens after a reload with the identical bank and nearest-neighbour scores', async ({ page }) => {
  await openHarness(page);
  const original = await page.evaluate(() => (window as unknown as W).harness.storage.digestOfRandom(1, 4000, 128));
  const fp32 = ok(
    await page.evaluate(() =>
      (window as unknown as W).harness.storage.save({ name: 'Bottle fp32', seed: 1, rows: 4000, cols: 128 }),
    ),
  );
  const fp16 = ok(
    await page.evaluate(() =>
      (window as unknown as W).harness.storage.save({
        name: 'Bottle fp16',
        seed: 2,
        rows: 3000,
        cols: 64,
        precision: 'fp16',
      }),
    ),
  );
  const fp16Before = ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), fp16.id));

  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const listed = await page.evaluate(() => (window as unknown as W).harness.storage.list());
  expect(listed.map((m) => m.name).sort()).toEqual(['Bottle fp16', 'Bottle fp32']);

  const reopened = ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), fp32.id));
  expect(reopened.sha256).toBe(original.sha256);
  expect(reopened.nearest).toEqual(original.nearest);
  const fp16After = ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), fp16.id));
  expect(fp16After).toEqual(fp16Before);
  expect(fp16After.precision).toBe('fp16');
});

const interruptions = [
  { name: 'closing the tab during a 100 MB write', how: 'close', at: 'writing-bank', kind: 'extend' },
  { name: 'navigating away during a 100 MB write', how: 'navigate', at: 'writing-bank', kind: 'save' },
  { name: 'closing the tab between the bank and the meta write', how: 'close', at: 'bank-written', kind: 'extend' },
] as const;

for (const { name, how, at, kind } of interruptions) {
  test(`${name} keeps the previous version and lists nothing half-written`, async ({ page, context }) => {
    await openHarness(page);
    const bottle = ok(
      await page.evaluate(() =>
        (window as unknown as W).harness.storage.save({ name: 'Bottle', seed: 5, rows: 2000, cols: 128 }),
      ),
    );
    const before = ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), bottle.id));

    let reached!: () => void;
    const stage = new Promise<void>((resolve) => (reached = resolve));
    await page.exposeFunction('__libraryStage', (s: string) => {
      if (s === at) reached();
    });
    // 200,000 x 128 fp32 = 102.4 MB: a new version of Bottle (extend) or a brand-new model (save).
    await page.evaluate(
      ({ id, kind }) => (window as unknown as W).harness.storage.startInterruptedWrite(kind, id, 6, 200_000, 128),
      { id: bottle.id, kind },
    );
    await stage;
    if (how === 'close') await page.close({ runBeforeUnload: false });
    else await page.goto('/');

    const next = how === 'close' ? await context.newPage() : page;
    await openHarness(next);
    const leftBehind = await next.evaluate(() => (window as unknown as W).harness.storage.rawKeys());
    console.log(`${name}: keys before the startup clean-up: ${leftBehind.join(', ')}`);
    if (at === 'bank-written') expect(leftBehind).toContain(`bank:${bottle.id}:2`); // the orphan the clean-up must remove

    const listed = await next.evaluate(() => (window as unknown as W).harness.storage.list());
    expect(listed.map((m) => [m.name, m.bankVersion])).toEqual([['Bottle', 1]]);
    expect(ok(await next.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), bottle.id))).toEqual(
      before,
    );

    // Whatever reached the disk is cleaned once the dead tab's session lock is released.
    await expect
      .poll(
        async () => {
          await next.evaluate(() => (window as unknown as W).harness.storage.reopen());
          return next.evaluate(() => (window as unknown as W).harness.storage.rawKeys());
        },
        { timeout: 20_000 },
      )
      .toEqual([`bank:${bottle.id}:1`, `meta:${bottle.id}`]);
  });
}

test('a full origin gives a clear quota error and loses nothing', async ({ page, context, baseURL }) => {
  await openHarness(page);
  // Chromium applies a quota override to an origin whose storage it has not opened yet, so set it first.
  // (navigator.storage.estimate() keeps reporting the real quota; the message copes with that.)
  const cdp = await context.newCDPSession(page);
  const origin = new URL(baseURL!).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 8_000_000 });
  try {
    const bottle = ok(
      await page.evaluate(() =>
        (window as unknown as W).harness.storage.save({ name: 'Bottle', seed: 7, rows: 1000, cols: 64 }),
      ),
    );
    const before = ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), bottle.id));

    // 80,000 x 64 fp32 = 20.5 MB into 8 MB.
    const big = await page.evaluate(() =>
      (window as unknown as W).harness.storage.save({ name: 'Bottle v2', seed: 8, rows: 80_000, cols: 64 }),
    );
    expect(big.ok ? 'stored' : big.code).toBe('quota');
    if (big.ok) return;
    console.log(big.message);
    expect(big.message).toMatch(
      /^Not enough browser storage to save "Bottle v2": it needs 20\.5 MB(, [\d.]+ \w+ is free| and the browser refused it, although it reports [\d.]+ \w+ free \(the disk itself may be full\))\. Delete or export older models\.$/,
    );

    const extended = await page.evaluate(
      (id) => (window as unknown as W).harness.storage.extend(id, 9, 80_000, 64),
      bottle.id,
    );
    expect(extended.ok ? 'stored' : extended.code).toBe('quota');

    const listed = await page.evaluate(() => (window as unknown as W).harness.storage.list());
    expect(listed.map((m) => [m.name, m.bankVersion])).toEqual([['Bottle', 1]]);
    expect(ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), bottle.id))).toEqual(
      before,
    );
    expect(await page.evaluate(() => (window as unknown as W).harness.storage.rawKeys())).toEqual([
      `bank:${bottle.id}:1`,
      `meta:${bottle.id}`,
    ]);

    // After a reload everything is still there, and a model that fits still saves.
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    expect(ok(await page.evaluate((id) => (window as unknown as W).harness.storage.openDigest(id), bottle.id))).toEqual(
      before,
    );
    ok(
      await page.evaluate(() =>
        (window as unknown as W).harness.storage.save({ name: 'Small', seed: 10, rows: 100, cols: 64 }),
      ),
    );
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
});
