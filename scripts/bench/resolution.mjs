#!/usr/bin/env node
// npm run bench -- resolution [--set ../shared/data/capsules_hires] [--sizes 224,320,448] [--train N] [--test 10] [--max N]
// For each working size: what Build's cost preview says before a build (the engine's `estimate`, measured on the
// first training image) against what the build and the inspection of real images then take, with the browser's
// peak memory, through the app's worker in headless Chromium (a browser per size). Writes
// bench-results/resolution.json.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { argv, dist, opt, requireBuild, root } from './_args.mjs';
import { chromiumRss } from './_rss.mjs';

const set = resolve(opt('set', join(root, '..', 'shared', 'data', 'capsules_hires')));
const sizes = String(opt('sizes', '224,320,448')).split(',').map(Number);
const trainCount = Number(opt('train', 0));
const testCount = Number(opt('test', 10));
const coresetMax = opt('max') === undefined ? undefined : Number(opt('max'));

requireBuild();
if (!existsSync(join(set, 'train', 'good'))) {
  console.log(`skipped: ${set} has no train/good (set --set to an MVTec-layout folder)`);
  process.exit(0);
}
const list = (dir) => readdirSync(join(set, dir)).filter((f) => /\.(png|jpe?g|bmp|webp)$/i.test(f)).sort().map((f) => `${dir}/${f}`);
let train = list('train/good');
if (trainCount) train = train.slice(0, trainCount);
const testDirs = readdirSync(join(set, 'test')).sort();
const test = testDirs.flatMap((d) => list(`test/${d}`)).filter((_, i, all) => i % Math.max(1, Math.floor(all.length / testCount)) === 0).slice(0, testCount);

const server = await startServer({ root: dist, mounts: { '/__data/': set } });
const rows = [];
try {
  for (const workingSize of sizes) {
    console.log(`${basename(set)} at ${workingSize} px${coresetMax === undefined ? '' : `, at most ${coresetMax} vectors`}: estimate, build from ${train.length} images, inspect ${test.length} ...`);
    const browser = await launchChromium();
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, chromiumRss()); }, 250);
    try {
      const page = await openHarness(browser, server.url, 'bench');
      const idle = chromiumRss();
      peak = idle;
      const r = await page.evaluate((a) => window.harness.bench.resolution(a), { base: '/__data/', train, test, workingSize, experiment: coresetMax === undefined ? {} : { coresetMax } });
      rows.push({ set: basename(set), ...r, chromiumRssIdleBytes: idle, chromiumRssPeakBytes: peak });
    } finally {
      clearInterval(sampler);
      await browser.close();
    }
  }
} finally {
  await server.close();
}
const mb = (b) => (b / 2 ** 20).toFixed(0);
const off = (est, real) => `${est >= real ? '+' : ''}${(100 * (est / real - 1)).toFixed(0)}%`;
console.log(`\n| size | patches | bank | build estimated / real (s) | inspection estimated / real (s/image) | selection memory est. | Chromium RSS peak | estimate took |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const r of rows) {
  const e = r.estimate;
  console.log(
    `| ${r.workingSize} (${e.inputWidth}x${e.inputHeight}) | ${r.patches.toLocaleString()} (est. ${e.patches.toLocaleString()}) | ${r.bankRows.toLocaleString()} | ` +
      `${e.buildSeconds.toFixed(0)} / ${r.buildSeconds.toFixed(0)} (${off(e.buildSeconds, r.buildSeconds)}) | ` +
      `${e.inspectSeconds.toFixed(2)} / ${r.inspectSeconds.toFixed(2)} (${off(e.inspectSeconds, r.inspectSeconds)}) | ${mb(e.memoryBytes)} MB | ` +
      `${mb(r.chromiumRssPeakBytes)} MB (idle ${mb(r.chromiumRssIdleBytes)}) | ${r.estimateSeconds.toFixed(1)} s |`,
  );
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'resolution.json'), JSON.stringify(rows, null, 1));
console.log('\nwrote bench-results/resolution.json');
