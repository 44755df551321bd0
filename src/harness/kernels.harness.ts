// Kernel checks for Playwright and the bench: each function builds seeded random inputs inside the page, runs the
// WGSL kernel and its TypeScript twin on them, and returns how far apart they are plus wall times.
// Exposed as window.harness.kernels.* (see main.ts). WebGPU is used even on a software adapter here.
import { cpuKernels } from '../patchcore/cpu';
import { project } from '../patchcore/cpu/coreset';
import { acquireDevice, type GpuHandle } from '../patchcore/gpu/device';
import { chooseKernels, type KernelPreference } from '../patchcore/kernels';
import { createGpuKernels, type GpuKernelOptions, type GpuKernels } from '../patchcore/gpu/index';
import { projectionMatrix, rng, startIndices } from '../patchcore/random';
import type { FeatureMap } from '../backbone/types';
import type { AggregateOptions, Matrix, Progress } from '../patchcore/types';

let handle: Promise<GpuHandle> | null = null;
let defaultKernels: GpuKernels | null = null;

function gpuHandle(): Promise<GpuHandle> {
  // A lost device (GPU process crash) is forgotten, so the next call starts over on a fresh one.
  return (handle ??= acquireDevice({ onLost: () => { handle = null; defaultKernels = null; } }));
}

async function gpu(opts?: GpuKernelOptions): Promise<GpuKernels> {
  const { device } = await gpuHandle();
  if (opts) return createGpuKernels(device, opts);
  return (defaultKernels ??= createGpuKernels(device));
}

export async function info(): Promise<{ description: string; software: boolean; limits: Record<string, number> }> {
  const h = await gpuHandle();
  const l = h.device.limits;
  return {
    description: h.description,
    software: h.software,
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  };
}

/** What the app would run on here, and the sentence it would show. */
export async function choose(prefer: KernelPreference): Promise<{ name: string; reason: string }> {
  const { kernels, reason } = await chooseKernels({ prefer });
  return { name: kernels.name, reason };
}

function randomArray(seed: number, length: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

function randomMatrix(seed: number, rows: number, cols: number): Matrix {
  return { data: randomArray(seed, rows * cols), rows, cols };
}

export interface Diff {
  maxAbs: number;
  /** max |gpu - cpu| / max(|cpu|, 1e-3 * max|cpu|): relative, without blowing up on values that are ~0. */
  maxRel: number;
  /** Where the largest relative difference is, and both values there. */
  worst: { index: number; gpu: number; cpu: number };
}

export function diff(gpuValues: ArrayLike<number>, cpuValues: ArrayLike<number>): Diff {
  if (gpuValues.length !== cpuValues.length) throw new Error(`length ${gpuValues.length} (gpu) != ${cpuValues.length} (cpu)`);
  let scale = 0;
  for (let i = 0; i < cpuValues.length; i++) scale = Math.max(scale, Math.abs(cpuValues[i]));
  const floor = Math.max(1e-3 * scale, 1e-30);
  let maxAbs = 0, maxRel = 0, worst = 0;
  for (let i = 0; i < cpuValues.length; i++) {
    const a = Math.abs(gpuValues[i] - cpuValues[i]);
    const rel = a / Math.max(Math.abs(cpuValues[i]), floor);
    // NaN on either side must fail, not vanish in Math.max.
    if (Number.isNaN(a)) return { maxAbs: NaN, maxRel: NaN, worst: { index: i, gpu: gpuValues[i], cpu: cpuValues[i] } };
    maxAbs = Math.max(maxAbs, a);
    if (rel > maxRel) { maxRel = rel; worst = i; }
  }
  return { maxAbs, maxRel, worst: { index: worst, gpu: gpuValues[worst], cpu: cpuValues[worst] } };
}

async function timed<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

export interface Timing {
  /** First GPU call, including pipeline compilation and uploads. */
  gpuColdMs: number;
  /** Second GPU call on the same input (only when `warm` was asked for). */
  gpuWarmMs?: number;
  cpuMs: number;
}

async function timeBoth<T>(runGpu: () => Promise<T>, runCpu: () => Promise<T>, warm?: boolean): Promise<[T, T, Timing]> {
  const [g, gpuColdMs] = await timed(runGpu);
  const gpuWarmMs = warm ? (await timed(runGpu))[1] : undefined;
  const [c, cpuMs] = await timed(runCpu);
  return [g, c, { gpuColdMs, gpuWarmMs, cpuMs }];
}

export interface AggregateCase {
  seed: number;
  map1: [number, number, number]; // channels, height, width (stride 8)
  map2: [number, number, number]; // stride 16
  opts: AggregateOptions;
  warm?: boolean;
}

export async function aggregate(c: AggregateCase): Promise<Diff & { rows: number; cols: number; shapeMatches: boolean; timing: Timing }> {
  const map = (seed: number, [channels, height, width]: [number, number, number]): FeatureMap => ({
    data: randomArray(seed, channels * height * width, 0, 2),
    channels,
    height,
    width,
  });
  const maps: [FeatureMap, FeatureMap] = [map(c.seed, c.map1), map(c.seed + 1, c.map2)];
  const k = await gpu();
  const [g, cp, timing] = await timeBoth(() => k.aggregate(maps, c.opts), () => cpuKernels.aggregate(maps, c.opts), c.warm);
  const shapeMatches = g.rows === cp.rows && g.cols === cp.cols && g.gridH === cp.gridH && g.gridW === cp.gridW;
  return { ...diff(g.data, cp.data), rows: g.rows, cols: g.cols, shapeMatches, timing };
}

export interface NearestCase {
  seed: number;
  queries: number;
  bank: number;
  dim: number;
  /** Forces the bank (and queries) into several bindings of at most this many bytes. */
  maxBindingBytes?: number;
  warm?: boolean;
}

export async function nearest(c: NearestCase): Promise<{
  distances: Diff;
  /** Queries whose GPU and CPU nearest rows differ although their distances are not within 1e-4 (not a tie). */
  indexMismatches: number;
  /** Queries with different nearest rows at (near-)equal distance. */
  ties: number;
  bankChunks: number;
  timing: Timing;
}> {
  const queries = randomMatrix(c.seed, c.queries, c.dim);
  const bank = randomMatrix(c.seed + 1, c.bank, c.dim);
  const k = c.maxBindingBytes ? await gpu({ maxBindingBytes: c.maxBindingBytes, cacheBank: false }) : await gpu();
  const [g, cp, timing] = await timeBoth(() => k.nearest(queries, bank), () => cpuKernels.nearest(queries, bank), c.warm);
  let indexMismatches = 0, ties = 0;
  for (let q = 0; q < c.queries; q++) {
    if (g.indices[q] === cp.indices[q]) continue;
    const dg = exactDistance(queries, q, bank, g.indices[q]);
    const dc = exactDistance(queries, q, bank, cp.indices[q]);
    if (Math.abs(dg - dc) <= 1e-4 * Math.max(dg, dc)) ties++;
    else indexMismatches++;
  }
  const bankChunks = c.maxBindingBytes ? Math.ceil(c.bank / Math.max(1, Math.floor(c.maxBindingBytes / (c.dim * 4)))) : 1;
  return { distances: diff(g.distances, cp.distances), indexMismatches, ties, bankChunks, timing };
}

/**
 * The bank stays on the GPU between calls with the same array: a second query set must still match the twin,
 * and rewriting the bank in place must be noticed (re-uploaded) rather than answered from stale GPU memory.
 */
export async function nearestResidentBank(c: NearestCase): Promise<{ reusedMaxRel: number; afterChangeMaxRel: number; firstMs: number; reusedMs: number }> {
  const bank = randomMatrix(c.seed + 1, c.bank, c.dim);
  const k = await gpu({ cacheBank: true });
  const t0 = performance.now();
  await k.nearest(randomMatrix(c.seed, c.queries, c.dim), bank);
  const t1 = performance.now();
  const q2 = randomMatrix(c.seed + 2, c.queries, c.dim);
  const reused = await k.nearest(q2, bank);
  const t2 = performance.now();
  for (let i = 0; i < bank.data.length; i++) bank.data[i] *= 2;
  const changed = await k.nearest(q2, bank);
  k.release();
  return {
    reusedMaxRel: diff(reused.distances, (await cpuKernels.nearest(q2, { ...bank, data: bank.data.map((v) => v / 2) })).distances).maxRel,
    afterChangeMaxRel: diff(changed.distances, (await cpuKernels.nearest(q2, bank)).distances).maxRel,
    firstMs: t1 - t0,
    reusedMs: t2 - t1,
  };
}

function exactDistance(a: Matrix, i: number, b: Matrix, j: number): number {
  if (j >= b.rows) return Infinity;
  let s = 0;
  for (let k = 0; k < a.cols; k++) {
    const t = a.data[i * a.cols + k] - b.data[j * b.cols + k];
    s += t * t;
  }
  return Math.sqrt(s);
}

export interface BlurCase {
  seed: number;
  width: number;
  height: number;
  sigmaPx: number;
  warm?: boolean;
}

export async function blur(c: BlurCase): Promise<Diff & { timing: Timing }> {
  const map = { data: randomArray(c.seed, c.width * c.height, 0, 1), width: c.width, height: c.height };
  const k = await gpu();
  const [g, cp, timing] = await timeBoth(() => k.blur(map, c.sigmaPx), () => cpuKernels.blur(map, c.sigmaPx), c.warm);
  return { ...diff(g.data, cp.data), timing };
}

export interface CoresetCase {
  seed: number;
  n: number;
  dim: number;
  count: number;
  projectionDim: number;
  startPoints: number;
  /** Forces the features to be projected in several row chunks of at most this many bytes. */
  maxBindingBytes?: number;
  /** Points drawn around this many cluster centres (0: uniform) — closer to real patch features. */
  clusters?: number;
  warm?: boolean;
}

export interface CoresetReport {
  equal: boolean;
  /** First step where the sequences differ (-1 if none). */
  firstDifference: number;
  /**
   * At that step, how far the GPU's pick is below the best running min-distance (relative, recomputed in f64 from
   * the common prefix): ~1e-6 means both picks were a near-tie that fp32 rounding decided differently.
   */
  tieGap: number;
  /** |gpu ∩ cpu| / count: how much of the coreset is shared even after a tie diverges the order. */
  overlap: number;
  progress: Progress[];
  timing: Timing;
}

function coresetFeatures(c: CoresetCase): Matrix {
  if (!c.clusters) return randomMatrix(c.seed, c.n, c.dim);
  const centres = randomMatrix(c.seed + 7, c.clusters, c.dim);
  const r = rng(c.seed);
  const data = new Float32Array(c.n * c.dim);
  for (let i = 0; i < c.n; i++) {
    const centre = Math.floor(r() * c.clusters);
    for (let k = 0; k < c.dim; k++) data[i * c.dim + k] = centres.data[centre * c.dim + k] + 0.2 * (r() * 2 - 1);
  }
  return { data, rows: c.n, cols: c.dim };
}

export async function coreset(c: CoresetCase): Promise<CoresetReport> {
  const features = coresetFeatures(c);
  const progress: Progress[] = [];
  const opts = { count: c.count, projectionDim: c.projectionDim, seed: c.seed, startPoints: c.startPoints };
  const k = c.maxBindingBytes ? await gpu({ maxBindingBytes: c.maxBindingBytes }) : await gpu();
  const [g, cp, timing] = await timeBoth(
    () => k.coreset(features, { ...opts, onProgress: (p) => progress.push(p) }),
    () => cpuKernels.coreset(features, opts),
    c.warm,
  );
  let first = -1;
  for (let i = 0; i < Math.min(g.length, cp.length); i++) if (g[i] !== cp[i]) { first = i; break; }
  if (first < 0 && g.length !== cp.length) first = Math.min(g.length, cp.length);
  const shared = new Set(cp);
  let overlap = 0;
  for (const i of g) if (shared.has(i)) overlap++;
  const tieGap = first < 0 || first >= g.length || first >= cp.length ? 0 : pickGap(features, c, cp, first, g[first]);
  return { equal: first < 0, firstDifference: first, tieGap, overlap: overlap / Math.max(1, c.count), progress, timing };
}

/** Replays the greedy loop in f64 along `prefix` for `step` steps; relative gap of `pick` to the argmax there. */
function pickGap(features: Matrix, c: CoresetCase, prefix: Uint32Array, step: number, pick: number): number {
  const X = c.projectionDim > 0 ? project(features, projectionMatrix(c.seed, c.dim, c.projectionDim)) : features;
  const { rows: n, cols: d, data } = X;
  const dist = (a: number, b: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) { const t = data[a * d + k] - data[b * d + k]; s += t * t; }
    return Math.sqrt(s);
  };
  const starts = startIndices(c.seed, n, c.startPoints);
  const minD = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const t of starts) s += dist(i, t);
    minD[i] = starts.length ? s / starts.length : Infinity;
  }
  for (let j = 0; j < step; j++) for (let i = 0; i < n; i++) minD[i] = Math.min(minD[i], dist(i, prefix[j]));
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, minD[i]);
  return best > 0 ? (best - minD[pick]) / best : 0;
}

/** Aborting from the first progress report must reject with an AbortError and leave the kernels usable. */
export async function coresetCancel(c: CoresetCase): Promise<{ rejected: string; progressBeforeAbort: number; usableAfter: boolean }> {
  const features = coresetFeatures(c);
  const k = await gpu();
  const controller = new AbortController();
  let reports = 0;
  let rejected = 'resolved';
  try {
    await k.coreset(features, {
      count: c.count,
      projectionDim: c.projectionDim,
      seed: c.seed,
      startPoints: c.startPoints,
      signal: controller.signal,
      onProgress: () => { reports++; controller.abort(); },
    });
  } catch (e) {
    rejected = e instanceof Error ? e.name : String(e);
  }
  const again = await k.coreset(features, { count: 4, projectionDim: c.projectionDim, seed: c.seed, startPoints: c.startPoints });
  return { rejected, progressBeforeAbort: reports, usableAfter: again.length === 4 };
}

/**
 * The bank index in this browser: its best scan (relaxed SIMD in Chromium) alone, and split over a pool of search
 * helpers (real Web Workers from the bundle), each against the brute force on clustered vectors; and the same
 * helpers making shares of a camera-size image's backbone input, against preprocess() on this thread.
 */
export async function indexSearch(c: { rows: number; cols: number; queries: number; gridW: number; helpers: number }) {
  const { blobs, nearRows } = await import('../patchcore/testData');
  const { BankIndex } = await import('../patchcore/cpu/bankIndex');
  const { nearest } = await import('../patchcore/cpu/knn');
  const { teamNearest, teamPreprocess } = await import('../patchcore/cpu/searchTeam');
  const { preprocess } = await import('../patchcore/preprocess');
  const { bestScan } = await import('../patchcore/wasm/scan');
  const { SearchPool } = await import('../worker/searchPool');
  const bank = blobs(c.rows, c.cols, 40, 3, 30);
  const q = nearRows(bank, c.queries, 7, 0.5);
  const want = nearest(q, bank);
  const same = (r: { distances: Float32Array; indices: Uint32Array }) =>
    r.distances.every((v, i) => v === want.distances[i]) && r.indices.every((v, i) => v === want.indices[i]);
  const index = BankIndex.build(bank)!;
  const alone = same(index.nearest(q, { gridW: c.gridW }));
  const pool = new SearchPool(c.helpers);
  try {
    pool.adopt(index);
    const ready = await pool.whenReady(index);
    const team = same(await teamNearest(index, pool, q, c.gridW));
    const img = { data: Uint8ClampedArray.from({ length: 1500 * 1000 * 4 }, (_, i) => (i * 2654435761) >>> 24), width: 1500, height: 1000 };
    const norm = { mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const, inputSize: 224, inputMultiple: 16 };
    const opts = { framing: 'fit' as const, workingSize: 448 };
    const one = preprocess(img, norm, opts);
    const shared = await teamPreprocess(pool, img, norm, opts);
    // Seconds of each, warm, taken alternately.
    const times = { one: 0, shared: 0 };
    for (let i = 0; i < 6; i++) {
      let t = performance.now();
      preprocess(img, norm, opts);
      times.one += (performance.now() - t) / 6000;
      t = performance.now();
      await teamPreprocess(pool, img, norm, opts);
      times.shared += (performance.now() - t) / 6000;
    }
    // (A share whose helper fails is made on this thread, so ask one helper directly as well: a failure shows.)
    const { geometryOf, preprocessRows, sourceBand } = await import('../patchcore/preprocess');
    const g = geometryOf(img, norm, { framing: 'fit', workingSize: 448 });
    const share = { ...sourceBand(img, g, 200, 448), norm, geometry: g, y0: 200, y1: 448 };
    const fromHelper = await pool.preprocess(0, share).catch(() => null);
    const own = preprocessRows(img, norm, g, 200, 448);
    return {
      scan: bestScan() ?? 'none', alone, ready, team, measuredShare: index.lastStats.measured / index.lastStats.bruteForce,
      preprocessSame: shared.data.length === one.data.length && shared.data.every((v, i) => Object.is(v, one.data[i])),
      preprocessSeconds: times,
      helperShareSame: !!fromHelper && fromHelper.length === own.length && fromHelper.every((v, i) => Object.is(v, own[i])),
    };
  } finally {
    pool.close();
  }
}
