#!/usr/bin/env node
// npm run bench -- build [--images 1000] [--size 224] [--kernels auto]
// Builds a model from N generated good images through the app's worker in headless Chromium and reports time per
// stage and peak memory: the resident size of this script's Chromium (browser, page, worker and GPU processes),
// sampled every 250 ms from /proc, so nothing inside the page has to cooperate. Writes bench-results/build.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const dist = resolve(process.env.PATCHCORE_DIST ?? join(root, 'dist'));
const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const images = Number(opt('images', 1000));
const size = Number(opt('size', 224));
const kernels = opt('kernels', 'auto');

if (!existsSync(join(dist, 'harness.html'))) {
  console.error(`${dist} has no build: run npm run build first`);
  process.exit(2);
}

/** Sum of RSS (bytes) over this process's descendants: the Chromium it launched (browser, renderer, GPU, ...). */
function chromiumRss() {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* process ended */ }
  }
  const isOurs = (pid) => {
    for (let p = parent.get(pid); p && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const pid of parent.keys()) {
    if (!isOurs(pid)) continue;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch { /* process ended */ }
  }
  return total;
}

const server = await startServer({ root: dist });
const browser = await launchChromium();
let result;
let baseline = 0;
let peak = 0;
const sampler = setInterval(() => { peak = Math.max(peak, chromiumRss()); }, 250);
try {
  const page = await openHarness(browser, server.url, 'bench');
  baseline = chromiumRss();
  peak = baseline;
  console.log(`building from ${images} generated ${size}px images (kernels ${kernels}) ...`);
  result = await page.evaluate((a) => window.harness.bench.build(a), { images, size, kernels });
} finally {
  clearInterval(sampler);
  await browser.close();
  await server.close();
}
const mb = (b) => (b / 2 ** 20).toFixed(0);
const out = { ...result, chromiumRssBaselineBytes: baseline, chromiumRssPeakBytes: peak };
console.log(`\n| images | kernels / backbone | features s | coreset s | bank | patch features | Chromium RSS peak |`);
console.log(`|---|---|---|---|---|---|---|`);
console.log(`| ${images} | ${result.kernels} / ${result.execution} | ${result.seconds.features.toFixed(1)} | ${result.seconds.coreset.toFixed(1)} | ${result.bankRows} x ${result.bankCols} | ${mb(result.featureBytes)} MB | ${mb(peak)} MB (idle ${mb(baseline)} MB) |`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'build.json'), JSON.stringify(out, null, 1));
console.log('\nwrote bench-results/build.json');
