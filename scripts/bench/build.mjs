#!/usr/bin/env node
// npm run bench -- build [--images 1000] [--size 224] [--kernels auto]
// Builds a model from N generated good images through the app's worker in headless Chromium and reports time per
// stage and peak memory: the resident size of every Chromium process (page, worker and GPU process included),
// sampled every 250 ms from /proc, so nothing inside the page has to cooperate. Writes bench-results/build.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, pipeConsole } from '../lib/browser.mjs';
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

/** Sum of RSS (bytes) over all processes whose command line is Chromium's. */
function chromiumRss() {
  let total = 0;
  const pids = execFileSync('pgrep', ['-f', 'chromium'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch { /* process ended */ }
  }
  return total;
}

const server = await startServer({ root: dist });
const browser = await launchChromium(['--enable-precise-memory-info']);
let result;
const baseline = chromiumRss();
let peak = baseline;
const sampler = setInterval(() => { peak = Math.max(peak, chromiumRss()); }, 250);
try {
  const page = await browser.newPage();
  pipeConsole(page, 'bench');
  page.setDefaultTimeout(0);
  await page.goto(`${server.url}/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
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
