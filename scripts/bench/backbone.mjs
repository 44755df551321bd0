#!/usr/bin/env node
// npm run bench -- backbone [--dist DIR] [--ids a,b] [--min-ms N]: images/s of each built-in backbone at 224 on
// WASM (1 thread), WASM (all threads) and WebGPU, with model size and first-inference time, in the system
// Chromium against the built app (dist/) served cross-origin isolated. Writes bench-results/backbone.json.
// WebGPU here may be SwiftShader (software): the adapter column says which.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium, pipeConsole } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

const root = join(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const dist = resolve(opt('--dist', join(root, 'dist')));
const ids = opt('--ids', 'mobilenet_v2_mid,inception_v3,mobilenet_v2').split(',');
const minMs = Number(opt('--min-ms', 3000));
if (!existsSync(join(dist, 'harness.html'))) {
  console.error(`bench backbone: ${dist}/harness.html not found. Build the app first: npm run build`);
  process.exit(1);
}

const allThreads = Math.min(8, cpus().length);
const configs = [
  { label: 'wasm 1 thread', prefer: 'wasm', threads: 1 },
  { label: `wasm ${allThreads} threads`, prefer: 'wasm', threads: allThreads },
  { label: 'webgpu', prefer: 'webgpu', threads: 1 },
];

const server = await startServer({ root: dist });
const browser = await launchChromium();
const results = [];
try {
  for (const id of ids) {
    for (const c of configs) {
      // A fresh page per setting: ORT fixes its WASM thread count at first use.
      const page = await browser.newPage();
      pipeConsole(page, `${id}/${c.label}`);
      await page.goto(`${server.url}/harness.html`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      try {
        const r = await page.evaluate(
          ([id, prefer, threads, minMs]) => window.harness.backbone.bench(id, prefer, threads, minMs),
          [id, c.prefer, c.threads, minMs],
        );
        results.push({ ...r, setting: c.label });
      } catch (e) {
        results.push({ id, setting: c.label, error: e.message.split('\n')[0] });
      }
      await page.close();
      const r = results.at(-1);
      console.log(r.error ? `${id} ${c.label}: ${r.error}` : `${id} ${c.label}: ${r.imagesPerSec.toFixed(2)} img/s`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${pad('backbone', 18)}${pad('setting', 16)}${pad('model MB', 10)}${pad('session ms', 12)}${pad('first ms', 10)}${pad('img/s', 8)}adapter`);
for (const r of results) {
  if (r.error) {
    console.log(`${pad(r.id, 18)}${pad(r.setting, 16)}error: ${r.error}`);
    continue;
  }
  console.log(
    `${pad(r.id, 18)}${pad(r.setting, 16)}${pad((r.modelBytes / 1e6).toFixed(1), 10)}${pad(r.sessionMs.toFixed(0), 12)}` +
      `${pad(r.firstInferenceMs.toFixed(0), 10)}${pad(r.imagesPerSec.toFixed(2), 8)}${r.executionPath === 'webgpu' ? r.adapter ?? '' : `${r.threads} thr`}`,
  );
}
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'backbone.json'),
  JSON.stringify({ date: new Date().toISOString(), inputSize: 224, cpus: cpus().length, minMs, results }, null, 2),
);
console.log(`\nwrote bench-results/backbone.json`);
