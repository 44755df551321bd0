#!/usr/bin/env node
// npm run bench -- engine [--budget SECONDS] [--backends cpu,wasm,webgpu] [--quick]
// Coreset seconds (N = 20k, 100k; d = 184, 1024; 10%), kNN queries/s (784 queries vs banks of 2k, 16k, 50k) and
// end-to-end per-image latency, for each compute backend, in headless Chromium on the built app. Cases that
// exceed the time budget are cut short and extrapolated (marked "~"). Writes bench-results/engine.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { argv, dist, hasBuild, opt, root } from './_args.mjs';

const budget = Number(opt('budget', 90));
const backends = opt('backends', 'cpu,wasm,webgpu').split(',');
const quick = argv.includes('--quick');

if (!hasBuild()) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const server = await startServer({ root: dist });
const browser = await launchChromium();
const results = { machine: { cores: (await import('node:os')).cpus().length }, coreset: [], knn: [], endToEnd: [] };
try {
  const page = await openHarness(browser, server.url, 'bench');
  const callIn = (pg) => (fn, arg) => pg.evaluate(([f, a]) => window.harness.bench[f](a), [fn, arg]);
  const call = callIn(page);

  const sizes = quick ? [[5000, 184]] : [[20000, 184], [20000, 1024], [100000, 184], [100000, 1024]];
  for (const b of backends) {
    for (const [n, d] of sizes) {
      try {
        const r = await call('coreset', { backend: b, n, d, ratio: 0.1, budgetS: budget });
        results.coreset.push(r);
        console.log(`coreset ${b.padEnd(6)} N=${n} d=${d}: ${r.finished ? r.seconds.toFixed(1) : '~' + r.estimatedSeconds.toFixed(0)} s (${r.done}/${r.count})`);
      } catch (e) {
        console.log(`coreset ${b} N=${n} d=${d}: failed: ${e.message.split('\n')[0]}`);
      }
    }
    for (const bank of quick ? [2000] : [2000, 16000, 50000]) {
      try {
        const r = await call('knn', { backend: b, queries: 784, bank, d: 184, reps: b === 'webgpu' ? 1 : 3 });
        results.knn.push(r);
        console.log(`knn     ${b.padEnd(6)} bank=${bank}: ${r.msPerCall.toFixed(0)} ms/image, ${r.queriesPerSecond.toFixed(0)} queries/s`);
      } catch (e) {
        console.log(`knn ${b} bank=${bank}: failed: ${e.message.split('\n')[0]}`);
      }
    }
  }
  const paths = [
    { kernels: 'auto', execution: 'auto' },
    ...backends.map((k) => ({ kernels: k, execution: k === 'webgpu' ? 'webgpu' : 'wasm' })),
  ];
  // Each path in a page of its own: workers created one after another in one page got 2-9x slower per image while
  // the renderer's V8 thread pool was busy, most likely collecting the finished workers' heaps (docs/speed.md), so
  // the figures depended on the order.
  for (const p of paths) {
    const e2ePage = await openHarness(browser, server.url, 'bench-e2e');
    try {
      const r = await callIn(e2ePage)('endToEnd', { ...p, train: quick ? 4 : 10, images: quick ? 2 : 12 });
      results.endToEnd.push({ requested: p, ...r });
      console.log(`e2e     kernels=${p.kernels} execution=${p.execution} -> ${r.kernels}/${r.execution}: ${r.perImageMs.toFixed(0)} ms/image (bank ${r.bank}, build ${r.buildSeconds.toFixed(1)} s)`);
    } catch (e) {
      console.log(`e2e ${JSON.stringify(p)}: failed: ${e.message.split('\n')[0]}`);
    } finally {
      await e2ePage.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const f = (x) => (x == null ? '-' : x.toFixed(x < 10 ? 2 : 0));
console.log('\n## Coreset (10%), seconds ("~" = extrapolated from a time-boxed run)');
console.log('| backend | N | d | K | seconds |\n|---|---|---|---|---|');
for (const r of results.coreset) console.log(`| ${r.backend} | ${r.n} | ${r.d} | ${r.count} | ${r.finished ? f(r.seconds) : '~' + f(r.estimatedSeconds)} |`);
console.log('\n## kNN, 784 queries x bank, d = 184');
console.log('| backend | bank | ms / image | queries / s |\n|---|---|---|---|');
for (const r of results.knn) console.log(`| ${r.backend} | ${r.bank} | ${f(r.msPerCall)} | ${f(r.queriesPerSecond)} |`);
console.log('\n## End to end (decode + backbone + features + kNN + map), per image');
console.log('| asked | got kernels / backbone | ms / image |\n|---|---|---|');
for (const r of results.endToEnd) console.log(`| ${r.requested.kernels}/${r.requested.execution} | ${r.kernels} / ${r.execution} (${r.threads} threads) | ${f(r.perImageMs)} |`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'engine.json'), JSON.stringify(results, null, 1));
console.log('\nwrote bench-results/engine.json');
