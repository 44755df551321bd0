// The server-side figures of docs/server.md (run through scripts/bench/server.mjs, i.e. npm run bench -- server):
//   memory      export of a 50,000 x 184 bank model, its file size, and one run on a 1,500 x 1,000 image in a fresh
//               process: peak RSS and the largest node output (onnxruntime's profiler)
//   throughput  images/s of inspect on the engine (.patchcore) and on the exported graph, on a set's test images
//   decoder     the browser's decoded pixels (headless Chromium, the built harness) vs sharp's on the same files:
//               RGBA and normalised backbone input differences, and their effect on scores: two models built in
//               Node from the same images, one on each decoder's pixels, scoring each decoder's test pixels
//   parity      engine vs exported graph on every test image of the given sets: worst relative score difference,
//               worst map difference over the map's range, verdict agreement
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MOBILENET_V2_MID } from '../../src/backbone/manifests';
import { buildModel, MODELS_DIR, saveModelFile } from '../../src/cli/model';
import { decodeFile } from '../../src/cli/decode';
import { exportModel } from '../../src/cli/export';
import { collectImages } from '../../src/cli/files';
import { graphScorer } from '../../src/cli/graphScorer';
import { engineScorer, inspect } from '../../src/cli/inspect';
import { onnxProto } from '../../src/cli/onnxProto';
import { DEFAULT_CONFIG } from '../../src/patchcore/config';
import { rng } from '../../src/patchcore/random';
import { buildExportGraph, defaultChunkRows } from '../../src/export/graph';

const root = resolve(import.meta.dirname, '..', '..');
const data = process.env.PATCHCORE_DATA ?? resolve(root, '..', 'shared', 'data');
const [mode = 'all', ...rest] = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : def;
};
const threads = Number(opt('threads', String((await import('node:os')).availableParallelism())));
const results: Record<string, unknown> = { threads };
const work = mkdtempSync(join(tmpdir(), 'patchcore-server-'));

async function memory() {
  const rows = Number(opt('rows', '50000'));
  const cols = MOBILENET_V2_MID.taps[0].channels + MOBILENET_V2_MID.taps[1].channels;
  const r = rng(1);
  const bank = { data: Float32Array.from({ length: rows * cols }, () => r() * 4), rows, cols };
  const config = { ...DEFAULT_CONFIG };
  const t0 = performance.now();
  const g = buildExportGraph(onnxProto(), {
    backboneOnnx: readFileSync(join(MODELS_DIR, 'mobilenet_v2_mid.onnx')),
    manifest: MOBILENET_V2_MID,
    config,
    bank,
    threshold: 1,
  });
  const exportS = (performance.now() - t0) / 1000;
  const file = join(work, 'big.onnx');
  writeFileSync(file, g.bytes);
  // A fresh process, so its peak RSS is the run's alone.
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_server.mts'), 'memory-run', '--file', file, '--threads', String(threads), '--arena', opt('arena', 'on')], { encoding: 'utf8', cwd: root });
  if (child.status !== 0) throw new Error(child.stderr);
  const run = JSON.parse(child.stdout.trim().split('\n').pop()!);
  results.memory = { bank: `${rows} x ${cols}`, chunkRows: defaultChunkRows(config, MOBILENET_V2_MID), fileMB: g.bytes.byteLength / 2 ** 20, exportSeconds: exportS, ...run };
}

/** In its own process: session + one 1,500 x 1,000 image (fit: 336 x 224 input), profiled. */
async function memoryRun() {
  const file = opt('file', '');
  const rssBefore = process.memoryUsage().rss;
  const arena = opt('arena', 'on') === 'on';
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, enableProfiling: true, profileFilePrefix: join(work, 'profile'), enableCpuMemArena: arena, enableMemPattern: arena });
  const rssSession = process.memoryUsage().rss;
  const x = new ort.Tensor('float32', Float32Array.from({ length: 3 * 224 * 336 }, (_, i) => (i * 37) % 256), [1, 3, 224, 336]);
  const t0 = performance.now();
  await s.run({ image: x });
  const first = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await s.run({ image: x });
  const second = (performance.now() - t1) / 1000;
  s.endProfiling();
  await s.release();
  const profile = readdirSync(work).find((f) => f.startsWith('profile') && f.endsWith('.json'));
  if (!profile) throw new Error(`onnxruntime wrote no profile into ${work}`);
  const events = JSON.parse(readFileSync(join(work, profile), 'utf8')) as { cat: string; name: string; args?: { output_size?: string; op_name?: string } }[];
  let biggest = { name: '', op: '', bytes: 0 };
  for (const e of events) {
    const b = Number(e.args?.output_size ?? 0);
    if (e.cat === 'Node' && b > biggest.bytes) biggest = { name: e.name, op: e.args?.op_name ?? '', bytes: b };
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({
    rssBeforeMB: rssBefore / 2 ** 20,
    rssAfterSessionMB: rssSession / 2 ** 20,
    peakRssMB: peak / 2 ** 20,
    firstRunSeconds: first,
    runSeconds: second,
    largestNodeOutput: { ...biggest, MB: biggest.bytes / 2 ** 20 },
  }));
}

async function modelFor(set: string): Promise<string> {
  const file = join(work, `${set}.patchcore`);
  if (existsSync(file)) return file;
  const built = await buildModel([join(data, set, 'train', 'good')], { name: set, threads });
  await saveModelFile(file, built.meta, built.bank);
  return file;
}

async function throughput() {
  const set = opt('set', 'bottle');
  const limit = Number(opt('limit', '40'));
  const model = await modelFor(set);
  const files = collectImages([join(data, set, 'test')]).images.slice(0, limit).map((i) => i.file);
  const out: Record<string, unknown> = { set, images: files.length };
  const engine = await engineScorer(model, undefined, threads);
  const e = await inspect(engine, files);
  await engine.release();
  out.engineImagesPerSecond = files.length / e.seconds;
  const exp = await exportModel(model, join(work, `export-${set}`));
  const graph = await graphScorer(exp.onnx, threads);
  const g = await inspect(graph, files);
  await graph.release();
  out.graphImagesPerSecond = files.length / g.seconds;
  // The app's WASM path in headless Chromium, same model file and images (needs the built app).
  const dist = resolve(process.env.PATCHCORE_DIST ?? join(root, 'dist'));
  if (existsSync(join(dist, 'harness.html'))) {
    const { launchChromium, openHarness } = await import('../lib/browser.mjs');
    const { startServer } = await import('../lib/server.mjs');
    const server = await startServer({ root: dist });
    const browser = await launchChromium();
    try {
      const page = await openHarness(browser, server.url, 'throughput');
      const images = files.map((f) => ({ name: f, base64: readFileSync(f).toString('base64') }));
      const r = await page.evaluate(([m, im]) => (window as any).harness.pixels.throughput(m, im), [readFileSync(model).toString('base64'), images] as const);
      out.browserWasmImagesPerSecond = r.imagesPerSecond;
      out.browserThreads = r.threads;
      // Same model, two decoders and two runtimes (WASM vs native onnxruntime): how far the scores are apart.
      out.browserVsCliScoreMaxRel = Math.max(...e.rows.map((row, i) => Math.abs(row.score - r.scores[i]) / r.scores[i]));
    } finally {
      await browser.close();
      await server.close();
    }
  } else out.browserWasmImagesPerSecond = 'not measured: build the app first (npm run build)';
  results.throughput = out;
}

async function parity() {
  const sets = opt('sets', 'hazelnut_small,transistor_small,cookie,bottle').split(',');
  const rows: unknown[] = [];
  for (const set of sets) {
    if (!existsSync(join(data, set))) continue;
    const model = await modelFor(set);
    const exp = await exportModel(model, join(work, `parity-${set}`));
    const engine = await engineScorer(model, undefined, threads);
    const graph = await graphScorer(exp.onnx, threads);
    let worstScore = 0, worstMap = 0, disagree = 0, n = 0;
    for (const it of collectImages([join(data, set, 'test')]).images) {
      const img = await decodeFile(it.file, it.name);
      const a = await engine.score(img);
      const b = await graph.score(img);
      worstScore = Math.max(worstScore, Math.abs(a.score - b.score) / a.score);
      let lo = Infinity, hi = -Infinity, w = 0;
      a.map.data.forEach((v, i) => {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        w = Math.max(w, Math.abs(v - b.map.data[i]));
      });
      worstMap = Math.max(worstMap, w / (hi - lo));
      if (a.score > engine.threshold !== b.score > graph.threshold) disagree++;
      n++;
    }
    await engine.release();
    await graph.release();
    rows.push({ set, images: n, worstScoreRel: worstScore, worstMapOfRange: worstMap, verdictsDiffer: disagree });
    console.error(JSON.stringify(rows.at(-1)));
  }
  results.parity = rows;
}

/** Every third test image (at most `limit`) and the training images of a set, decoded both ways. */
async function decoder() {
  const { launchChromium, openHarness } = await import('../lib/browser.mjs');
  const { startServer } = await import('../lib/server.mjs');
  const dist = resolve(process.env.PATCHCORE_DIST ?? join(root, 'dist'));
  if (!existsSync(join(dist, 'harness.html'))) throw new Error(`${dist}/harness.html is missing: run npm run build first`);
  const { PatchCore } = await import('../../src/patchcore/patchcore');
  const { openEngine, backboneFiles } = await import('../../src/cli/model');
  const { preprocess } = await import('../../src/patchcore/preprocess');
  const { holdoutCount, splitHoldout, thresholdForFalseAlarmRate } = await import('../../src/patchcore/calibration');
  const server = await startServer({ root: dist });
  const browser = await launchChromium();
  const page = await openHarness(browser, server.url, 'decoder');
  const browserRgba = async (file: string) => {
    const r = await page.evaluate(([n, b]) => (window as any).harness.pixels.rgba(n, b), [file, readFileSync(file).toString('base64')]);
    const buf = Buffer.from(r.base64, 'base64');
    return { data: new Uint8ClampedArray(buf.buffer, buf.byteOffset, buf.byteLength), width: r.width, height: r.height };
  };
  const sets = opt('sets', 'hazelnut_small,transistor_small,cookie,bottle,kolektorsdd').split(',');
  const limit = Number(opt('limit', '40'));
  const engine = await openEngine(backboneFiles('mobilenet_v2_mid'), threads);
  const rows: unknown[] = [];
  try {
    for (const set of sets) {
      if (!existsSync(join(data, set))) continue;
      const train = collectImages([join(data, set, 'train', 'good')]).images.slice(0, Number(opt('train', '100000')));
      const test = collectImages([join(data, set, 'test')]).images.filter((_, i) => i % 3 === 0).slice(0, limit);
      const pairs = async (items: typeof train) => {
        const out = [];
        for (const it of items) out.push({ name: it.name, browser: await browserRgba(it.file), node: await decodeFile(it.file, it.name) });
        return out;
      };
      const testPx = await pairs(test);
      let rgbaMax = 0, rgbaSum = 0, rgbaN = 0, inMax = 0, inSum = 0, inN = 0;
      for (const p of testPx) {
        if (p.browser.width !== p.node.width || p.browser.height !== p.node.height) throw new Error(`${p.name}: sizes differ`);
        for (let i = 0; i < p.node.data.length; i++) {
          if (i % 4 === 3) continue;
          const d = Math.abs(p.browser.data[i] - p.node.data[i]);
          rgbaMax = Math.max(rgbaMax, d);
          rgbaSum += d;
          rgbaN++;
        }
        const a = preprocess(p.browser, MOBILENET_V2_MID, { size: 224, framing: 'fit' }).data;
        const b = preprocess(p.node, MOBILENET_V2_MID, { size: 224, framing: 'fit' }).data;
        for (let i = 0; i < a.length; i++) {
          const d = Math.abs(a[i] - b[i]);
          inMax = Math.max(inMax, d);
          inSum += d;
          inN++;
        }
      }
      // Two models from the same images, each on one decoder's pixels, calibrated the app's way.
      const { train: fitItems, holdout } = splitHoldout(train, holdoutCount(train.length, 0.15));
      const trainPx = await pairs(fitItems);
      const holdPx = await pairs(holdout);
      const models = [];
      for (const side of ['browser', 'node'] as const) {
        const pc = new PatchCore(engine.backbone, engine.kernels, { ...DEFAULT_CONFIG });
        await pc.fit(trainPx.map((p) => p[side]), trainPx.length);
        const held = [];
        for (const p of holdPx) held.push((await pc.score(p[side])).score);
        models.push({ pc, threshold: thresholdForFalseAlarmRate(held, 0.05) });
      }
      let scoreMax = 0, sameModelMax = 0, verdictDiff = 0, verdictDiffOutsideMargin = 0;
      for (const p of testPx) {
        const a = (await models[0].pc.score(p.browser)).score; // browser-built model, browser pixels
        const b = (await models[1].pc.score(p.node)).score; // Node-built model, Node pixels
        const c = (await models[0].pc.score(p.node)).score; // browser-built model, Node pixels
        scoreMax = Math.max(scoreMax, Math.abs(a - b) / a);
        sameModelMax = Math.max(sameModelMax, Math.abs(a - c) / a);
        const va = a > models[0].threshold, vb = b > models[1].threshold;
        if (va !== vb) {
          verdictDiff++;
          const t = models[0].threshold;
          if (Math.abs(a - t) > 0.01 * t && Math.abs(b - t) > 0.01 * t) verdictDiffOutsideMargin++;
        }
      }
      const row = {
        set, testImages: testPx.length, trainImages: trainPx.length,
        rgbaMaxAbs: rgbaMax, rgbaMeanAbs: rgbaSum / rgbaN,
        inputMaxAbs: inMax, inputMeanAbs: inSum / inN,
        sameModelScoreMaxRel: sameModelMax,
        twoModelsScoreMaxRel: scoreMax,
        thresholds: models.map((m) => m.threshold),
        verdictsDiffer: verdictDiff, verdictsDifferOutside1pc: verdictDiffOutsideMargin,
      };
      rows.push(row);
      console.error(JSON.stringify(row));
    }
  } finally {
    await engine.release();
    await browser.close();
    await server.close();
  }
  results.decoder = rows;
}

try {
  if (mode === 'memory-run') {
    await memoryRun();
  } else {
    if (mode === 'all' || mode === 'memory') await memory();
    if (mode === 'all' || mode === 'throughput') await throughput();
    if (mode === 'all' || mode === 'parity') await parity();
    if (mode === 'decoder') await decoder();
    console.log(JSON.stringify(results, null, 2));
    mkdirSync(join(root, 'bench-results'), { recursive: true });
    writeFileSync(join(root, 'bench-results', `server-${mode}.json`), JSON.stringify(results, null, 2));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
