// Greedy coreset (Algorithm 1) on onnxruntime-web's WASM backend. Each farthest-first step needs the distance of
// every point to the newly selected one: a multi-threaded SIMD GEMV in a session that holds the projected points
// as initializers gives |p|^2 - 2 p.c in fp32, and one JS pass turns it into the twin's exact update. Where the
// fp32 value, less a rigorous rounding bound, cannot rule out that the point gets closer, the twin's own double
// distance decides, so the running min-distances (and thus the indices) are bit for bit those of the naive loop
// run on the same projected points. Only the projection itself (an ORT MatMul) rounds differently from the twin.
import { greedyCoreset, sqDist } from '../cpu/coreset';
import { projectionMatrix, startIndices } from '../random';
import type { CoresetOptions, Matrix } from '../types';
import { gemvGraph, projectionGraph } from './graphs';
import type { KernelRuntime } from './runtime';

export interface WasmCoresetOptions {
  /** Below this many points the twin's pruned TypeScript loop is faster than a session.run per step. */
  minPoints?: number;
  /** Points per GEMV initializer (and MatMul). */
  chunkRows?: number;
  /** Rows per projection MatMul call: bounds the copy into the WASM heap and keeps cancellation prompt. */
  projectRows?: number;
}

const PROGRESS_MS = 100;
const YIELD_MS = 50;

function nextTick(): Promise<void> {
  const g = globalThis as unknown as { scheduler?: { yield?: () => Promise<void> }; setImmediate?: (f: () => void) => unknown };
  if (g.scheduler?.yield) return g.scheduler.yield();
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => setTimeout(r, 0));
}

/** features @ P on ORT, `rows` at a time. */
async function projectOnOrt(rt: KernelRuntime, features: Matrix, P: Matrix, rows: number, tick: () => Promise<void>): Promise<Matrix> {
  const session = await rt.open(projectionGraph(P), 'coreset projection');
  try {
    const { rows: n, cols: d } = features;
    const out = new Float32Array(n * P.cols);
    for (let r0 = 0; r0 < n; r0 += rows) {
      const r1 = Math.min(n, r0 + rows);
      const F = rt.tensor(features.data.subarray(r0 * d, r1 * d), [r1 - r0, d]);
      const { Y } = await session.run({ F });
      out.set(Y.data as Float32Array, r0 * P.cols);
      Y.dispose();
      await tick();
    }
    return { data: out, rows: n, cols: P.cols };
  } finally {
    await session.release();
  }
}

/**
 * Algorithm 1 with the twin's semantics (cpu/coreset.ts): seeded projection (here an ORT MatMul), running min-distance
 * from the mean distance to the start points, then `count` argmax steps (lowest index on ties). Below
 * `env.minPoints` points it hands over to the twin.
 */
export async function wasmCoreset(rt: KernelRuntime, features: Matrix, opts: CoresetOptions, env: WasmCoresetOptions = {}): Promise<Uint32Array> {
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  const n = features.rows;
  const count = n === 0 ? 0 : Math.max(0, Math.floor(opts.count));
  if (count === 0) return new Uint32Array(0);
  if (n < (env.minPoints ?? 0)) return greedyCoreset(features, opts);

  let lastReport = performance.now();
  let lastYield = lastReport;
  const tick = async (done: number, force = false): Promise<void> => {
    const now = performance.now();
    if (force || now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      onProgress?.({ stage: 'coreset', done, total: count });
    }
    if (now - lastYield >= YIELD_MS) {
      await nextTick();
      lastYield = performance.now();
      signal?.throwIfAborted();
    }
  };

  const X = opts.projectionDim > 0
    ? await projectOnOrt(rt, features, projectionMatrix(opts.seed, features.cols, opts.projectionDim), env.projectRows ?? 8192, () => tick(0))
    : features;
  const { cols: d, data } = X;

  // Running min-distance: the mean fp32 distance to the seeded start points, as the twin.
  const minD = new Float32Array(n);
  const starts = startIndices(opts.seed, n, opts.startPoints);
  if (starts.length === 0) minD.fill(Infinity);
  else {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < starts.length; t++) s += Math.fround(Math.sqrt(sqDist(data, i * d, starts[t] * d, d)));
      minD[i] = s / starts.length;
      if ((i & 4095) === 4095) await tick(0);
    }
  }

  // The GEMV session works on points shifted by their mean: distances stay, |p|^2 and its fp32 rounding shrink.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += data[i * d + k];
  const shift = Float32Array.from(mean, (s) => s / n);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) {
      const v = Math.fround(data[i * d + k] - shift[k]);
      s += v * v;
    }
    norms[i] = s;
  }
  const { bytes, outputs } = gemvGraph(X, shift, Float32Array.from(norms), env.chunkRows ?? 65536);
  await tick(0, true);
  const session = await rt.open(bytes, `coreset distance step (${n} points)`);

  /*
   * Rounding bound of the fp32 value g + |c|^2 against the exact |p - c|^2, both shifted: the shift's rounding
   * (4u), the dot product (D u, any summation order), the norm and the Add (3u), each times |p|^2 + |c|^2;
   * doubled for margin. Below it, the twin's exact distance decides.
   */
  const tol = 2 * (d + 16) * 2 ** -24;
  const out = new Uint32Array(count);
  const C = new Float32Array(d);
  try {
    let sel = 0;
    for (let i = 1; i < n; i++) if (minD[i] > minD[sel]) sel = i;
    for (let j = 0; j < count; j++) {
      out[j] = sel;
      if (j + 1 === count) break;
      const co = sel * d;
      let cn = 0;
      for (let k = 0; k < d; k++) {
        const v = Math.fround(data[co + k] - shift[k]);
        C[k] = -2 * v;
        cn += v * v;
      }
      const result = await session.run({ C: rt.tensor(C, [1, d]) });
      const tolC = tol * cn;
      let best = -Infinity, bestIdx = 0, base = 0;
      for (const name of outputs) {
        const g = result[name].data as Float32Array;
        for (let t = 0; t < g.length; t++) {
          const i = base + t;
          let m = minD[i];
          if (g[t] + cn - tol * norms[i] - tolC < m * m) {
            const v = Math.fround(Math.sqrt(sqDist(data, i * d, co, d)));
            if (v < m) minD[i] = m = v;
          }
          if (m > best || i === 0) { best = m; bestIdx = i; }
        }
        base += g.length;
        result[name].dispose();
      }
      sel = bestIdx;
      await tick(j + 1);
    }
  } finally {
    await session.release();
  }
  onProgress?.({ stage: 'coreset', done: count, total: count });
  return out;
}
