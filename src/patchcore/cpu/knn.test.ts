import { describe, expect, it } from 'vitest';
import { rng } from '../random';
import type { Matrix } from '../types';
import { kNearest, nearest } from './knn';

function random(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const r = rng(seed);
  return { data: Float32Array.from({ length: rows * cols }, () => (r() - 0.5) * scale), rows, cols };
}

function brute(q: Matrix, b: Matrix) {
  const out = [];
  for (let i = 0; i < q.rows; i++) {
    let best = Infinity, idx = -1;
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let k = 0; k < q.cols; k++) s += (q.data[i * q.cols + k] - b.data[j * b.cols + k]) ** 2;
      if (s < best) { best = s; idx = j; }
    }
    out.push({ d: Math.sqrt(best), idx });
  }
  return out;
}

describe('exact nearest memory vector', () => {
  it('agrees with brute force for odd sizes (blocks with padding lanes)', () => {
    for (const [nq, nb, d] of [[1, 1, 3], [7, 13, 5], [33, 301, 37], [50, 129, 184]] as const) {
      const q = random(nq, d, nq + nb), b = random(nb, d, nb * 7);
      const got = nearest(q, b);
      const want = brute(q, b);
      want.forEach((w, i) => {
        expect(got.indices[i]).toBe(w.idx);
        expect(got.distances[i]).toBeCloseTo(w.d, 4);
      });
    }
  });

  it('breaks ties by the lowest bank index and scores an exact match 0', () => {
    const b = random(10, 8, 5);
    // Rows 3 and 8 equal, also row 6 and 9.
    b.data.copyWithin(8 * 8, 3 * 8, 4 * 8);
    b.data.copyWithin(9 * 8, 6 * 8, 7 * 8);
    const q: Matrix = { data: Float32Array.from([...b.data.subarray(8 * 8, 9 * 8), ...b.data.subarray(9 * 8, 10 * 8)]), rows: 2, cols: 8 };
    const got = nearest(q, b);
    expect(Array.from(got.indices)).toEqual([3, 6]);
    expect(got.distances[0]).toBeLessThan(1e-3);
  });

  it('returns the k nearest sorted ascending, ties by lower index', () => {
    const b: Matrix = { data: Float32Array.from([5, 1, 3, 1, 0, 9, 2]), rows: 7, cols: 1 };
    const r = kNearest(Float32Array.from([1.2]), b, 4);
    expect(Array.from(r.indices)).toEqual([1, 3, 6, 4]);
    expect(Array.from(r.distances).map((v) => +v.toFixed(4))).toEqual([0.2, 0.2, 0.8, 1.2]);
    expect(kNearest(Float32Array.from([0]), b, 20).indices.length).toBe(7);
  });
});
