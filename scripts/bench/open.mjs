#!/usr/bin/env node
// npm run bench -- open [--models a.patchcore,b.patchcore] [--reps 5]
// Opening a saved model in the app (Chromium): read from the IndexedDB library, then the worker's 'load' on WASM
// kernels, with the bank's index stored beside it (restored) and the same model stored without one (built, as every
// open did before the library kept indexes). Default models: every .patchcore in bench-results/knn-models (written
// by `npm run bench -- knn`). Writes bench-results/open.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { dist, opt, requireBuild, root } from './_args.mjs';

requireBuild();
const cache = join(root, 'bench-results', 'knn-models');
const models = opt('models', existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.patchcore')).map((f) => join(cache, f)).join(',') : '')
  .split(',')
  .filter(Boolean);
if (models.length === 0) {
  console.error('No model to open: give --models FILE.patchcore, or run npm run bench -- knn first (it caches two).');
  process.exit(2);
}
const reps = Number(opt('reps', 5));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = { reps, models: [] };
const server = await startServer({ root: dist });
const browser = await launchChromium();
try {
  for (const file of models) {
    const page = await openHarness(browser, server.url, 'bench');
    try {
      const r = await page.evaluate((a) => window.harness.bench.openModel(a), { model: readFileSync(file).toString('base64'), reps });
      results.models.push({ model: basename(file), ...r });
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const f = (x) => x.toFixed(0);
console.log(`\n## Opening a saved model, ms (median of ${reps}; Chromium, WASM kernels, ${results.models[0]?.threads ?? '?'} threads)`);
console.log('| model | bank | stored with its index: read / load (source) | stored without one: read / load (source) | writing back the built index |');
console.log('|---|---|---|---|---|');
for (const m of results.models) {
  const side = (ts) => `${f(median(ts.map((t) => t.readMs)))} / ${f(median(ts.map((t) => t.loadMs)))} (${[...new Set(ts.map((t) => t.source))].join(', ')})`;
  console.log(`| ${m.model} | ${m.rows} x ${m.cols} | ${side(m.restored)} | ${side(m.built)} | ${f(m.writeBackMs)} |`);
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'open.json'), JSON.stringify(results, null, 2));
