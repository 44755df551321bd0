#!/usr/bin/env node
// npm run bench -- knn [--sets capsules_hires,bottle] [--data /work/shared/data] [--images 4] [--cache DIR]
// The nearest-neighbour search on real patch features, side by side in one run: a model built with the command line
// from each set's good training images (capsules_hires at its default 448 px, bottle at 224 px; cached in --cache,
// default bench-results/knn-models), the patch features of a few of its test images, and
// - in Chromium (the app): the TypeScript twin's brute force, the WASM MatMul over every dimension (the app's search
//   before the bank index), the index alone (its TypeScript loop, its WebAssembly SIMD scan, its relaxed SIMD scan,
//   all on one thread), the index split over the search helpers (one Web Worker per other core), and the app's path
//   now (the WASM kernels given the index and the helpers: the index where it is faster, the MatMul where not);
// - in Node (the command line): onnxruntime-node's MatMul over every dimension, then the same given the index on
//   one thread, and with the command line's search helpers (Node threads);
// - faiss IndexFlatL2 on 1 thread and on all (Debian's python3-faiss; skipped with a note when missing);
// plus uniform random vectors of the same shape, where no pruning can help. Writes bench-results/knn.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { launchChromium, openHarness } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { dist, opt, requireBuild, root } from './_args.mjs';

const sets = opt('sets', 'capsules_hires,bottle').split(',');
const data = opt('data', '/work/shared/data');
const images = Number(opt('images', 4));
const cache = opt('cache', join(root, 'bench-results', 'knn-models'));
const threads = cpus().length;
/** Working size per set: capsules_hires at the app's default for it (448), bottle at 224. */
const SIZE = { bottle: '224' };

requireBuild();
const imp = (p) => tsImport(p, import.meta.url);
const { loadModelFile, openEngine, backboneFiles } = await imp('../../src/cli/model.ts');
const { nodeKernelRuntime } = await imp('../../src/cli/ort.ts');
const { decodeFile } = await imp('../../src/cli/decode.ts');
const { PatchCore } = await imp('../../src/patchcore/patchcore.ts');
const { WasmNearest } = await imp('../../src/patchcore/wasm/knn.ts');
const { nodeSearchPool } = await imp('../../src/cli/searchThreads.ts');
const { BankIndex } = await imp('../../src/patchcore/cpu/bankIndex.ts');
const { uniform } = await imp('../../src/patchcore/testData.ts');

/** The set's model (built once into the cache) and the patch features of `images` test images spread over its folders. */
async function realFeatures(set) {
  mkdirSync(cache, { recursive: true });
  const model = join(cache, `${set}.patchcore`);
  if (!existsSync(model)) {
    console.log(`building ${model} (once) ...`);
    const args = ['build', join(data, set, 'train', 'good'), '--out', model, '--quiet', ...(SIZE[set] ? ['--working-size', SIZE[set]] : [])];
    const r = spawnSync(process.execPath, [join(root, 'bin', 'patchcore-web.mjs'), ...args], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`building the ${set} model failed`);
  }
  const { meta, bank } = await loadModelFile(model);
  const engine = await openEngine(backboneFiles(meta.backbone.id));
  try {
    const pc = new PatchCore(engine.backbone, engine.kernels, meta.config);
    const test = join(data, set, 'test');
    const files = readdirSync(test).flatMap((sub) => readdirSync(join(test, sub)).sort().map((f) => join(test, sub, f)));
    const step = Math.max(1, Math.floor(files.length / images));
    const rows = [];
    let grid;
    for (let i = 0; i < images; i++) {
      const f = await pc.extract(await decodeFile(files[i * step], files[i * step]));
      rows.push(f.data.slice());
      grid = { gridW: f.gridW, gridH: f.gridH };
    }
    const queries = new Float32Array(rows.reduce((a, r) => a + r.length, 0));
    rows.reduce((o, r) => (queries.set(r, o), o + r.length), 0);
    return { name: `${set} (${meta.config.workingSize} px)`, bank, queries, ...grid };
  } finally {
    await engine.release();
  }
}

const b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasFaiss = spawnSync(python, ['-c', 'import faiss'], { encoding: 'utf8' }).status === 0;
const work = mkdtempSync(join(tmpdir(), 'patchcore-knn-'));

/** faiss IndexFlatL2 on the same vectors: ms per image (fastest of 3), on `t` threads. */
function faiss(c, t) {
  if (!hasFaiss) return null;
  const per = c.gridW * c.gridH;
  const qf = join(work, 'q.f32'), bf = join(work, 'b.f32');
  writeFileSync(qf, c.queries.subarray(0, per * c.bank.cols));
  writeFileSync(bf, c.bank.data);
  const r = spawnSync(python, [join(import.meta.dirname, 'peers', 'knn_faiss.py'), qf, String(per), bf, String(c.bank.rows), String(c.bank.cols), String(t), '3'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`faiss failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** The command line's search (onnxruntime-node): the MatMul over every dimension, then given the index; ms per image. */
async function node(c) {
  const per = c.gridW * c.gridH, d = c.bank.cols;
  const image = (i) => ({ data: c.queries.subarray(i * per * d, (i + 1) * per * d), rows: per, cols: d, gridW: c.gridW, gridH: c.gridH });
  const team = nodeSearchPool(threads);
  const alone = new WasmNearest(nodeKernelRuntime(threads));
  const helped = new WasmNearest(nodeKernelRuntime(threads), {}, team);
  const index = BankIndex.build(c.bank);
  const out = {};
  for (const [name, w] of [['brute', alone], ['indexed', alone], ['team', helped]]) {
    if (name === 'indexed') w.adopt(index);
    if (name === 'team') {
      w.adopt(index);
      await team.whenReady(index);
    }
    await w.nearest(image(0), c.bank);
    const t = performance.now();
    for (let i = 0; i < images; i++) await w.nearest(image(i), c.bank);
    out[name] = { msPerImage: (performance.now() - t) / images };
  }
  out.split = helped.lastAdaptive?.lastSplit;
  team.close();
  await alone.release();
  await helped.release();
  return out;
}

const cases = [];
for (const set of sets) {
  if (!existsSync(join(data, set))) {
    console.log(`note: ${join(data, set)} is missing: ${set} is skipped`);
    continue;
  }
  cases.push(await realFeatures(set));
}
if (cases.length) {
  const c = cases[0];
  const u = (rows, seed) => uniform(rows, c.bank.cols, seed, 0, 1).data;
  cases.push({ name: `uniform random, ${c.name}'s shape`, bank: { data: u(c.bank.rows, 1), rows: c.bank.rows, cols: c.bank.cols }, queries: u(c.gridW * c.gridH * images, 2), gridW: c.gridW, gridH: c.gridH });
}

const results = { machine: { cores: threads }, images, cases: [] };
const server = await startServer({ root: dist });
const browser = await launchChromium();
try {
  for (const c of cases) {
    const page = await openHarness(browser, server.url, 'bench');
    try {
      const arg = { bank: b64(c.bank.data), queries: b64(c.queries), cols: c.bank.cols, gridW: c.gridW, gridH: c.gridH, images, twinImages: Math.min(2, images) };
      const app = await page.evaluate((a) => window.harness.bench.knnReal(a), arg);
      const row = { name: c.name, app, node: await node(c), faiss: { oneThread: faiss(c, 1), allThreads: faiss(c, threads) } };
      results.cases.push(row);
      console.log(`${c.name}: bank ${app.bank} x ${app.cols}, ${app.queriesPerImage} queries/image; twin ${app.twinMs.toFixed(0)} ms, WASM ${app.wasmBrute.msPerImage.toFixed(0)} ms, index ${app.tsIndex.msPerImage.toFixed(0)} ms (TypeScript) / ${app.simdIndex?.msPerImage.toFixed(0) ?? '-'} ms (SIMD) / ${app.relaxedIndex?.msPerImage.toFixed(0) ?? '-'} ms (relaxed SIMD) / ${app.teamIndex?.msPerImage.toFixed(0) ?? '-'} ms (with ${app.helpers} helpers), app now ${app.app.msPerImage.toFixed(0)} ms`);
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

const f = (x) => (x == null ? '-' : x.toFixed(x < 10 ? 2 : 0));
const pct = (x) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
console.log(`\n## Nearest neighbours per image, ms (Chromium: WASM on ${results.cases[0]?.app.threads ?? '?'} threads, the twin and the index on one, the index with ${results.cases[0]?.app.helpers ?? '?'} search helpers beside it; Node and faiss: ${threads} threads unless said)`);
console.log('| features | bank | twin (brute) | WASM (brute, the app before) | index, TypeScript loop | index, SIMD scan | index, relaxed SIMD scan | index with helpers | WASM given the index (the app now) | index built / restored | rows measured | same as twin | Node brute | Node given the index, 1 thread / with helpers | faiss 1 thread | faiss all |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results.cases) {
  const a = r.app;
  const paths = { WASM: a.wasmBrute, index: a.tsIndex, 'SIMD index': a.simdIndex, 'relaxed index': a.relaxedIndex, 'index with helpers': a.teamIndex, app: a.app };
  const wrong = Object.entries(paths).filter(([, x]) => x && !x.sameAsTwin).map(([k]) => k);
  const same = wrong.length ? `not: ${wrong.join(', ')}` : 'all';
  console.log(`| ${r.name} | ${a.bank} x ${a.cols} | ${f(a.twinMs)} | ${f(a.wasmBrute.msPerImage)} | ${f(a.tsIndex.msPerImage)} | ${f(a.simdIndex?.msPerImage)} | ${f(a.relaxedIndex?.msPerImage)} | ${f(a.teamIndex?.msPerImage)} | ${f(a.app.msPerImage)} | ${f(a.buildMs)} / ${f(a.restoreMs)} ms | ${pct(a.measuredShare)} (projected ${pct(a.projectedShare)}) | ${same} | ${f(r.node.brute.msPerImage)} | ${f(r.node.indexed.msPerImage)} / ${f(r.node.team.msPerImage)} | ${f(r.faiss.oneThread)} | ${f(r.faiss.allThreads)} |`);
}
if (!hasFaiss) console.log(`note: faiss is not installed for ${python} (apt-get install -y python3-faiss): its columns are empty`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'knn.json'), JSON.stringify(results, null, 1));
console.log('\nwrote bench-results/knn.json');
