// `npm run bench -- engine` in the page: coreset, kNN and end-to-end latency for each compute backend, on
// seeded synthetic patch features with a low intrinsic dimension (as CNN features have).
import type { ExecutionPreference } from '../backbone/session';
import { CORESET_START_POINTS, DEFAULT_CONFIG, spreadIndices, type EngineConfig } from '../patchcore/config';
import { modelConfig } from '../patchcore/recipe';
import { ESTIMATE_IMAGES } from '../patchcore/estimate';
import { EtaLog } from './etaLog';
import { chooseKernels, type KernelPreference } from '../patchcore/kernels';
import { syntheticFeatures } from './synthetic';
import type { Kernels } from '../patchcore/types';
import { generateDemoSet } from '../demo/generate';
import { EngineClient } from '../worker/client';

const cache = new Map<string, Promise<Kernels>>();
function backend(name: KernelPreference): Promise<Kernels> {
  if (!cache.has(name)) cache.set(name, chooseKernels({ prefer: name }).then((k) => k.kernels));
  return cache.get(name)!;
}

export interface CoresetBench {
  backend: string;
  n: number;
  d: number;
  count: number;
  seconds: number;
  /** Selected before the time budget ran out; equals count when it finished. */
  done: number;
  /** seconds scaled to the whole selection when the budget cut it short (per-step cost taken as constant). */
  estimatedSeconds: number;
  finished: boolean;
}

export async function coreset(c: { backend: KernelPreference; n: number; d: number; ratio: number; budgetS: number }): Promise<CoresetBench> {
  const k = await backend(c.backend);
  const x = syntheticFeatures(c.n, c.d);
  const count = Math.round(c.n * c.ratio);
  const ctl = new AbortController();
  let done = 0;
  const t0 = performance.now();
  const timer = setTimeout(() => ctl.abort(), c.budgetS * 1000);
  let finished = true;
  try {
    await k.coreset(x, {
      count, projectionDim: DEFAULT_CONFIG.projectionDim, seed: 0, startPoints: CORESET_START_POINTS, signal: ctl.signal,
      onProgress: (p) => { if (p.stage === 'coreset') done = p.done; },
    });
    done = count;
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
    finished = false;
  } finally {
    clearTimeout(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { backend: k.name, n: c.n, d: c.d, count, seconds, done, finished, estimatedSeconds: finished ? seconds : done > 0 ? (seconds * count) / done : Infinity };
}

export async function knn(c: { backend: KernelPreference; queries: number; bank: number; d: number; reps: number }) {
  const k = await backend(c.backend);
  const bank = syntheticFeatures(c.bank, c.d, 2);
  const q = syntheticFeatures(c.queries, c.d, 3);
  await k.nearest({ ...q, rows: Math.min(q.rows, 16), data: q.data.subarray(0, 16 * c.d) }, bank); // warm-up (uploads, pipelines)
  const t0 = performance.now();
  for (let i = 0; i < c.reps; i++) await k.nearest(q, bank);
  const ms = (performance.now() - t0) / c.reps;
  return { backend: k.name, queries: c.queries, bank: c.bank, d: c.d, msPerCall: ms, queriesPerSecond: (c.queries * 1000) / ms };
}

/** Per-image latency through the worker (decode, backbone, features, kNN, eq. 7, map) on generated demo images. */
export async function endToEnd(c: { kernels: KernelPreference; execution: ExecutionPreference; train: number; images: number }) {
  const set = await generateDemoSet({ good: c.train, testGood: Math.ceil(c.images / 2), testDefective: Math.floor(c.images / 2), size: 256 });
  const client = new EngineClient();
  try {
    const info = await client.request('init', { backbone: DEFAULT_CONFIG.backbone, kernels: c.kernels, execution: c.execution }).promise;
    const toFile = (f: File) => ({ name: f.name, blob: f });
    const t0 = performance.now();
    const build = await client.request('build', { images: set.good.map(toFile), holdout: [], config: DEFAULT_CONFIG }).promise;
    const buildSeconds = (performance.now() - t0) / 1000;
    await client.request('score', { image: toFile(set.test[0].file) }).promise; // warm-up
    const t1 = performance.now();
    for (const t of set.test) await client.request('score', { image: toFile(t.file) }).promise;
    const perImageMs = (performance.now() - t1) / set.test.length;
    return { kernels: info.kernels, execution: info.executionPath, threads: info.threads, bank: build.bank.rows, buildSeconds, perImageMs, images: set.test.length };
  } finally {
    client.terminate();
  }
}

/**
 * A build from `images` generated parts, for `npm run bench -- build`: the node side samples the browser's memory
 * while this runs. Returns stage timings and the bank size.
 */
export async function build(c: { images: number; size: number; kernels: KernelPreference; config?: Partial<EngineConfig> }) {
  const config = modelConfig({ workingSize: DEFAULT_CONFIG.workingSize }, null, null, c.config);
  const t0 = performance.now();
  const set = await generateDemoSet({ good: c.images, testGood: 0, testDefective: 0, size: c.size });
  const generateSeconds = (performance.now() - t0) / 1000;
  const client = new EngineClient();
  try {
    const info = await client.request('init', { backbone: DEFAULT_CONFIG.backbone, kernels: c.kernels }).promise;
    const stages: Record<string, number> = {};
    // The whole-build estimate the UI shows, sampled at every progress message.
    const etas = new EtaLog();
    const t1 = performance.now();
    const r = await client.request('build', { images: set.good.map((f) => ({ name: f.name, blob: f })), holdout: [], config }, (p) => {
      stages[p.stage] ??= (performance.now() - t1) / 1000;
      etas.record(p);
    }).promise;
    const buildSeconds = (performance.now() - t1) / 1000;
    const etaWorstError = etas.worstError(buildSeconds);
    return {
      kernels: info.kernels, execution: info.executionPath, images: c.images, generateSeconds,
      buildSeconds, stagesStartedAt: stages, seconds: r.seconds, etaWorstError, etaSamples: etas.samples.length,
      etas: etas.spread(),
      bankRows: r.bank.rows, bankCols: r.bank.cols, patches: r.patchCount,
      featureBytes: r.patchCount * r.bank.cols * 4,
      // The generated images the page holds while it builds (they count in Chromium's memory, not the engine's).
      imageBytes: set.good.reduce((s, f) => s + f.size, 0),
      config: { coresetRatio: config.coresetRatio, coresetMax: config.coresetMax ?? null, coresetChunk: config.coresetChunk ?? 0 },
    };
  } finally {
    client.terminate();
  }
}

/**
 * The cost preview against the truth, for `npm run bench -- resolution`: the engine's `estimate` (what Build shows
 * before a build) on the first training image, then the real build from every training image and the inspection of
 * `test` images at the same config, timed. Files are fetched from `base` (the node side mounts a shared set there).
 */
export async function resolution(c: { base: string; train: string[]; test: string[]; workingSize: number; experiment?: Partial<EngineConfig> }) {
  const config = modelConfig({ workingSize: c.workingSize }, null, null, c.experiment);
  const fetchFile = async (p: string) => ({ name: p, blob: await (await fetch(c.base + p)).blob() });
  const train = await Promise.all(c.train.map(fetchFile));
  const test = await Promise.all(c.test.map(fetchFile));
  const client = new EngineClient();
  try {
    const info = await client.request('init', { backbone: config.backbone }).promise;
    let t = performance.now();
    const images = spreadIndices(train.length, ESTIMATE_IMAGES).map((i) => train[i]);
    const estimate = await client.request('estimate', { images, config, imageCount: train.length }).promise;
    const estimateSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const built = await client.request('build', { images: train, holdout: [], config }).promise;
    const buildSeconds = (performance.now() - t) / 1000;
    // The first inspection pays for preparing the bank's search; the rest are what an inspector waits for.
    await client.request('score', { image: test[0] }).promise;
    t = performance.now();
    for (const f of test) await client.request('score', { image: f }).promise;
    const inspectSeconds = (performance.now() - t) / 1000 / test.length;
    return {
      execution: info.executionPath, kernels: info.kernels, workingSize: config.workingSize, estimate, estimateSeconds,
      buildSeconds, buildStages: built.seconds, inspectSeconds, bankRows: built.bank.rows, patches: built.patchCount,
    };
  } finally {
    client.terminate();
  }
}

/**
 * The app's greedy selection as a build runs it, for `npm run bench -- peers`: in one selection worker, and split
 * over `shares` workers (SelectionPool.selectAll), on the same synthetic features as `coreset`.
 */
export async function selection(c: { n: number; d: number; ratio: number; shares: number }) {
  const { SelectionPool } = await import('../worker/selectionPool');
  const x = syntheticFeatures(c.n, c.d);
  const count = Math.round(c.n * c.ratio);
  const pool = new SelectionPool(1, { projectionDim: DEFAULT_CONFIG.projectionDim, seed: 0, startPoints: CORESET_START_POINTS }, undefined, c.shares);
  try {
    let t = performance.now();
    const one = await pool.select(x, count);
    const oneSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const all = await pool.selectAll(x, count);
    const teamSeconds = (performance.now() - t) / 1000;
    return { n: c.n, d: c.d, count, shares: c.shares, oneSeconds, teamSeconds, same: one.every((v, i) => v === all[i]) };
  } finally {
    pool.close();
  }
}

/** Base64 of little-endian fp32 values back to a Float32Array (how the knn suite hands real features over). */
function floats(b64: string): Float32Array {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/**
 * `npm run bench -- knn` in the page: one bank and the patch features of a few test images, searched by the
 * TypeScript twin's brute force, the WASM MatMul over every dimension (the app's search before the index), the
 * index alone (one thread) with its TypeScript loop, its WebAssembly SIMD scan and its relaxed SIMD scan (null where
 * the browser lacks it), and the app's path now: the WASM kernels given the index (the index where it is faster, the
 * MatMul where not); ms per image (each path's first call reported apart), and whether every answer equals the twin's.
 */
export async function knnReal(c: { bank: string; queries: string; cols: number; gridW: number; gridH: number; images: number; twinImages: number }) {
  const { nearest } = await import('../patchcore/cpu/knn');
  const { BankIndex } = await import('../patchcore/cpu/bankIndex');
  const { createWasmKernels } = await import('../patchcore/wasm/index');
  const { teamNearest } = await import('../patchcore/cpu/searchTeam');
  const { SearchPool, searchHelpersFor } = await import('../worker/searchPool');
  const bankData = floats(c.bank), Q = floats(c.queries);
  const d = c.cols, per = c.gridW * c.gridH;
  const bank = { data: bankData, rows: bankData.length / d, cols: d };
  const image = (i: number) => ({ data: Q.subarray(i * per * d, (i + 1) * per * d), rows: per, cols: d, gridW: c.gridW, gridH: c.gridH });
  const twin: { distances: Float32Array; indices: Uint32Array }[] = [];
  const t0 = performance.now();
  for (let i = 0; i < c.twinImages; i++) twin.push(nearest(image(i), bank));
  const twinMs = (performance.now() - t0) / c.twinImages;
  const same = (i: number, r: { distances: Float32Array; indices: Uint32Array }) =>
    i >= twin.length || r.distances.every((v, k) => v === twin[i].distances[k]);
  const timed = async (run: (i: number) => Promise<{ distances: Float32Array; indices: Uint32Array }>) => {
    let t = performance.now();
    let ok = same(0, await run(0));
    const firstMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < c.images; i++) ok = same(i, await run(i)) && ok;
    return { firstMs, msPerImage: (performance.now() - t) / c.images, sameAsTwin: ok };
  };
  const team = new SearchPool(searchHelpersFor(navigator.hardwareConcurrency ?? 1));
  const kernels = await createWasmKernels({ searchTeam: team });
  const wasmBrute = await timed((i) => kernels.nearest(image(i), bank));
  let t = performance.now();
  const index = BankIndex.build(bank);
  const buildMs = performance.now() - t;
  if (!index) throw new Error('The bank is too small for an index');
  t = performance.now();
  BankIndex.restore(bank, index.stored);
  const restoreMs = performance.now() - t;
  // The index's three loops on this thread and the best of them split over the search helpers ('team'),
  // interleaved image by image (each image's first call apart), so that a slower or busier moment of the machine
  // falls on all of them alike.
  team.adopt(index);
  const helpers = (await team.whenReady(index)) ? team.size : 0;
  const { scanAvailable, bestScan } = await import('../patchcore/wasm/scan');
  const loops = ([...(['none', 'simd', 'relaxed'] as const).filter((l) => l === 'none' || scanAvailable(l)), ...(helpers ? ['team' as const] : [])]);
  const search = (i: number, l: (typeof loops)[number]) =>
    l === 'team' ? teamNearest(index, team, image(i), c.gridW) : Promise.resolve(index.nearest(image(i), { gridW: c.gridW, scan: l }));
  const spent = new Map<string, { ms: number; ok: boolean }>(loops.map((l) => [l, { ms: 0, ok: true }]));
  let work = { projected: 0, measured: 0, bruteForce: 0 };
  for (const l of loops) spent.get(l)!.ok = same(0, await search(0, l));
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < c.images; i++)
      for (const l of round % 2 ? [...loops].reverse() : loops) {
        const t = performance.now();
        const r = await search(i, l);
        const x = spent.get(l)!;
        x.ms += performance.now() - t;
        x.ok = same(i, r) && x.ok;
        if (l === 'none' && round === 0) {
          const s = index.lastStats;
          work = { projected: work.projected + s.projected, measured: work.measured + s.measured, bruteForce: work.bruteForce + s.bruteForce };
        }
      }
  const result = (l: string) => (spent.has(l) ? { msPerImage: spent.get(l)!.ms / (2 * c.images), sameAsTwin: spent.get(l)!.ok } : null);
  const tsIndex = result('none')!, simdIndex = result('simd'), relaxedIndex = result('relaxed'), teamIndex = result('team');
  kernels.adoptIndex!(index);
  const app = await timed((i) => kernels.nearest(image(i), bank));
  await kernels.release();
  team.close();
  return {
    bank: bank.rows, cols: d, queriesPerImage: per, threads: kernels.threads, helpers,
    twinMs, wasmBrute, tsIndex, simdIndex, relaxedIndex, teamIndex, scan: bestScan() ?? 'none', app, buildMs, restoreMs,
    projectedShare: work.projected / work.bruteForce, measuredShare: work.measured / work.bruteForce,
  };
}

export interface OpenTimes {
  /** Reading the model from IndexedDB (library.open: meta, bank, index), ms. */
  readMs: number;
  /** The worker's 'load' (the bank sent over, the index restored or built), ms. */
  loadMs: number;
  source: string;
}

/**
 * `npm run bench -- open`: opening a saved model as the app does (library.open from IndexedDB, then the worker's
 * 'load' on WASM kernels), stored with its index (restored) and the same model stored without one (built, as every
 * open did before the library kept indexes), alternately, `reps` times each; then the one write-back of an index
 * built for a model stored without one.
 */
export async function openModel(c: { model: string; reps: number }): Promise<{ rows: number; cols: number; restored: OpenTimes[]; built: OpenTimes[]; writeBackMs: number; threads: number }> {
  const { openLibrary } = await import('../storage/library');
  const { KNOWN_BACKBONES } = await import('../backbone/manifests');
  const bytes = Uint8Array.from(atob(c.model), (ch) => ch.charCodeAt(0));
  const lib = await openLibrary({ requestPersistence: false });
  const withIndex = await lib.importModel(bytes, KNOWN_BACKBONES.map((b) => b.id));
  const bare = await lib.saveAs({ ...(await lib.open(withIndex.id)), index: null }, 'bench, stored without an index');
  const client = new EngineClient();
  try {
    const info = await client.request('init', { backbone: withIndex.backbone.id, execution: 'wasm', kernels: 'wasm' }).promise;
    const open = async (id: string) => {
      const t0 = performance.now();
      const m = await lib.open(id);
      const t1 = performance.now();
      const r = await client.request('load', { bank: m.bank, config: m.config, patchCount: m.patchCount, imageCount: m.trainImageCount, index: m.index }).promise;
      return { times: { readMs: t1 - t0, loadMs: performance.now() - t1, source: r.index.source }, built: r.index.built };
    };
    await open(withIndex.id); // warm-up: the kernels' first load
    const restored: OpenTimes[] = [], built: OpenTimes[] = [];
    let last = null;
    for (let i = 0; i < c.reps; i++) {
      restored.push((await open(withIndex.id)).times);
      const b = await open(bare.id);
      built.push(b.times);
      last = b.built;
    }
    const t0 = performance.now();
    if (last) await lib.saveIndex(bare.id, bare.bankVersion, last);
    const writeBackMs = last ? performance.now() - t0 : NaN;
    return { rows: withIndex.bankShape.rows, cols: withIndex.bankShape.cols, restored, built, writeBackMs, threads: info.threads };
  } finally {
    client.terminate();
    await lib.delete(withIndex.id);
    await lib.delete(bare.id);
    await lib.purgeDeleted();
  }
}
