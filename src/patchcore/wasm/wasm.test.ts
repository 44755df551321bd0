// The WASM kernels against their TypeScript twins on the same seeded inputs: same nearest memory vectors and
// distances, same coreset indices, and the coreset loop stays cancellable.
import { afterAll, describe, expect, it } from 'vitest';
import { cpuKernels } from '../cpu';
import { naiveGreedyCoreset } from '../cpu/coreset';
import { rng } from '../random';
import type { Matrix, Progress } from '../types';
import { createWasmKernels } from './index';

function uniform(rows: number, cols: number, seed: number, lo = 0, hi = 1): Matrix {
  const r = rng(seed);
  return { data: Float32Array.from({ length: rows * cols }, () => lo + (hi - lo) * r()), rows, cols };
}

/** Blobs of different spreads around a far offset: large norms, small distances (the fp32 cancellation case). */
function blobs(n: number, d: number, k: number, seed: number, offset = 0): Matrix {
  const r = rng(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => offset + r() * 8));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * k)];
    const s = 0.05 + r();
    for (let j = 0; j < d; j++) data[i * d + j] = c[j] + (r() + r() + r() - 1.5) * s;
  }
  return { data, rows: n, cols: d };
}

// Small chunks so that every test crosses chunk boundaries of both graphs.
const wasm = await createWasmKernels({ knn: { chunkRows: 1500 }, coreset: { minPoints: 0, chunkRows: 1000, projectRows: 700 } });
afterAll(() => wasm.release());

describe('nearest memory vector on WASM', () => {
  it('finds the twin\'s nearest rows and distances across bank chunks, odd sizes and far-off clusters', async () => {
    const cases: [string, Matrix, Matrix][] = [
      ['uniform 184-d', uniform(784, 184, 1), uniform(4000, 184, 2)],
      ['odd sizes', uniform(7, 37, 3, -1, 1), uniform(1501, 37, 4, -1, 1)],
      ['clusters at offset 20', blobs(300, 96, 8, 5, 20), blobs(3100, 96, 8, 5, 20)],
      ['single bank row', uniform(5, 8, 6), uniform(1, 8, 7)],
    ];
    for (const [name, q, b] of cases) {
      const want = cpuKernels.nearest(q, b);
      const got = await wasm.nearest(q, b);
      const w = await want;
      expect(Array.from(got.indices), name).toEqual(Array.from(w.indices));
      w.distances.forEach((v, i) => expect(Math.abs(got.distances[i] - v), `${name} #${i}`).toBeLessThanOrEqual(1e-4 * Math.max(v, 1e-3)));
    }
  });

  it('breaks ties by the lowest bank index, also between chunks, and scores an exact match 0', async () => {
    const b = uniform(3200, 16, 8);
    // Row 2900 (third chunk) equals row 100 (first); row 1600 (second) equals row 1499 (first, last row).
    b.data.copyWithin(2900 * 16, 100 * 16, 101 * 16);
    b.data.copyWithin(1600 * 16, 1499 * 16, 1500 * 16);
    const q: Matrix = { data: Float32Array.from([...b.data.subarray(2900 * 16, 2901 * 16), ...b.data.subarray(1600 * 16, 1601 * 16)]), rows: 2, cols: 16 };
    const got = await wasm.nearest(q, b);
    expect(Array.from(got.indices)).toEqual([100, 1499]);
    expect(got.distances[0]).toBe(0);
  });

  it('reuses the session for the same bank and rebuilds it for a new one', async () => {
    const q = uniform(50, 24, 9);
    const b1 = uniform(900, 24, 10), b2 = uniform(900, 24, 11);
    const r1 = await wasm.nearest(q, b1);
    const r2 = await wasm.nearest(q, b2);
    const r1again = await wasm.nearest(q, b1);
    expect(Array.from(r1again.indices)).toEqual(Array.from(r1.indices));
    expect(Array.from(r2.indices)).toEqual(Array.from((await cpuKernels.nearest(q, b2)).indices));
    await expect(wasm.nearest(uniform(2, 5, 1), b1)).rejects.toThrow(/5 dimensions but the memory bank has 24/);
  });
});

const opts = (count: number, projectionDim: number, seed = 7) => ({ count, projectionDim, seed, startPoints: 10 });

describe('greedy coreset on WASM', () => {
  it('selects exactly the naive loop\'s indices without projection (random, clustered, far-off, duplicates)', async () => {
    const dup = uniform(25, 48, 9);
    const r = rng(10);
    const duplicates: Matrix = { data: new Float32Array(800 * 48), rows: 800, cols: 48 };
    for (let i = 0; i < 800; i++) { const s = Math.floor(r() * 25); duplicates.data.set(dup.data.subarray(s * 48, (s + 1) * 48), i * 48); }
    const cases: [string, Matrix, number][] = [
      ['uniform 64-d', uniform(2500, 64, 1), 250],
      ['blobs 40-d', blobs(3000, 40, 30, 4), 400],
      ['blobs 128-d at offset 50', blobs(2000, 128, 10, 3, 50), 300],
      ['duplicates (ties at 0)', duplicates, 60],
      ['plane in 3-d', uniform(2500, 3, 5), 600],
    ];
    for (const [name, f, count] of cases) {
      const want = naiveGreedyCoreset(f, opts(count, 0));
      const got = await wasm.coreset(f, opts(count, 0));
      expect(Array.from(got), name).toEqual(Array.from(want));
    }
  });

  it('matches the twin with the seeded projection to 128 dimensions on random and clustered features', async () => {
    for (const [name, f, count] of [['uniform 184-d', uniform(3000, 184, 2), 300], ['blobs 184-d', blobs(3000, 184, 12, 6), 300]] as const) {
      const want = await cpuKernels.coreset(f, opts(count, 128));
      const got = await wasm.coreset(f, opts(count, 128));
      expect(Array.from(got), name).toEqual(Array.from(want));
    }
  });

  it('reports progress and stops with an AbortError when cancelled', async () => {
    const f = uniform(20000, 32, 3);
    const seen: Progress[] = [];
    const ctl = new AbortController();
    const job = wasm.coreset(f, { ...opts(5000, 0), signal: ctl.signal, onProgress: (p) => seen.push(p) });
    setTimeout(() => ctl.abort(), 300);
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.every((p) => p.stage === 'coreset' && p.total === 5000)).toBe(true);
    const done = await wasm.coreset(uniform(3000, 8, 4), { ...opts(30, 0), onProgress: (p) => seen.push(p) });
    expect(done.length).toBe(30);
    expect(seen.at(-1)).toEqual({ stage: 'coreset', done: 30, total: 30 });
  });
});
