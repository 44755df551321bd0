#!/usr/bin/env node
// npm run bench -- build [--images 500,1000] [--size 224] [--kernels auto] [--chunk N] [--max N] [--compare-exact]
// Builds a model from N generated good images through the app's worker in headless Chromium and reports time per
// stage, how far the progress estimate was off, and peak memory: the resident size of this script's Chromium
// (browser, page, worker and GPU processes), sampled every 250 ms from /proc, so nothing inside the page has to
// cooperate. Each build gets a browser of its own. --chunk / --max override the engine's coresetChunk / coresetMax
// (default: the app's); --compare-exact also builds each set with one exact greedy pass (coresetChunk 0, no ceiling)
// for the ratio. Writes bench-results/build.json.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { argv, dist, opt, requireBuild, root } from './_args.mjs';
import { chromiumRss } from './_rss.mjs';

const imageCounts = String(opt('images', '500,1000')).split(',').map(Number);
const size = Number(opt('size', 224));
const kernels = opt('kernels', 'auto');
const override = {
  ...(opt('chunk') !== undefined ? { coresetChunk: Number(opt('chunk')) } : {}),
  ...(opt('max') !== undefined ? { coresetMax: Number(opt('max')) } : {}),
};
const compareExact = argv.includes('--compare-exact');

requireBuild();

const server = await startServer({ root: dist });

/** One build in a browser of its own; returns the harness's figures with the memory samples. */
async function buildOnce(images, config) {
  const browser = await launchChromium();
  let baseline = 0;
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, chromiumRss()); }, 250);
  try {
    const page = await openHarness(browser, server.url, 'bench');
    baseline = chromiumRss();
    peak = baseline;
    const result = await page.evaluate((a) => window.harness.bench.build(a), { images, size, kernels, config });
    return { ...result, chromiumRssBaselineBytes: baseline, chromiumRssPeakBytes: peak };
  } finally {
    clearInterval(sampler);
    await browser.close();
  }
}

const mb = (b) => (b / 2 ** 20).toFixed(0);
const rows = [];
try {
  for (const images of imageCounts) {
    for (const [label, config] of [['app', override], ...(compareExact ? [['exact', { coresetChunk: 0, coresetMax: 0 }]] : [])]) {
      console.log(`building from ${images} generated ${size}px images (kernels ${kernels}, ${label}: ${JSON.stringify(config)}) ...`);
      rows.push({ label, ...(await buildOnce(images, config)) });
    }
  }
} finally {
  await server.close();
}
console.log(`\n| images | selection | kernels / backbone | features s | coreset s | whole build s | estimate off by (from 10%) | bank | patches | Chromium RSS peak | generated images held |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|---|`);
for (const r of rows) {
  const c = r.config;
  const sel = c.coresetChunk ? `streamed, chunk ${c.coresetChunk}${c.coresetMax ? `, max ${c.coresetMax}` : ''}` : `exact${c.coresetMax ? `, max ${c.coresetMax}` : ''}`;
  const err = r.etaWorstError === null ? 'n/a' : `${(100 * r.etaWorstError).toFixed(0)}%`;
  console.log(`| ${r.images} | ${sel} | ${r.kernels} / ${r.execution} | ${r.seconds.features.toFixed(1)} | ${r.seconds.coreset.toFixed(1)} | ${r.buildSeconds.toFixed(1)} | ${err} | ${r.bankRows} x ${r.bankCols} | ${r.patches} | ${mb(r.chromiumRssPeakBytes)} MB (idle ${mb(r.chromiumRssBaselineBytes)} MB) | ${r.imageBytes ? `${mb(r.imageBytes)} MB` : '-'} |`);
}
const app = rows.filter((r) => r.label === 'app');
for (let i = 1; i < app.length; i++) {
  const a = app[i - 1], b = app[i];
  console.log(`time ratio ${b.images} / ${a.images} images: ${(b.buildSeconds / a.buildSeconds).toFixed(2)}x (images ${(b.images / a.images).toFixed(1)}x)`);
}
for (const r of app) {
  const e = rows.find((x) => x.label === 'exact' && x.images === r.images);
  if (e) console.log(`${r.images} images: whole build ${r.buildSeconds.toFixed(1)} s vs exact greedy ${e.buildSeconds.toFixed(1)} s (${(e.buildSeconds / r.buildSeconds).toFixed(1)}x); coreset ${r.seconds.coreset.toFixed(1)} s vs ${e.seconds.coreset.toFixed(1)} s`);
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'build.json'), JSON.stringify(rows, null, 1));
console.log('\nwrote bench-results/build.json');
