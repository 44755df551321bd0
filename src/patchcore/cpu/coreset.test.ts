import { describe, expect, it } from 'vitest';
import { projectionMatrix, rng } from '../random';
import type { Matrix, Progress } from '../types';
import { greedyCoreset, naiveGreedyCoreset, project } from './coreset';
import { blobs, uniform } from '../testData';

/** Few distinct points, many exact copies: every step after they are exhausted is a tie at distance 0. */
function duplicates(n: number, d: number, distinct: number, seed: number): Matrix {
  const base = uniform(distinct, d, seed);
  const r = rng(seed + 1);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const s = Math.floor(r() * distinct);
    data.set(base.data.subarray(s * d, (s + 1) * d), i * d);
  }
  return { data, rows: n, cols: d };
}

const opts = (count: number, projectionDim: number, seed = 0) => ({ count, projectionDim, seed, startPoints: 10 });

describe('greedy coreset (Algorithm 1)', () => {
  it('selects exactly the indices of the naive loop on random, clustered and low-dimensional data', async () => {
    const cases: [string, Matrix, number, number][] = [
      ['uniform 64-d, no projection', uniform(1500, 64, 1), 150, 0],
      ['uniform 184-d, projected to 128', uniform(1200, 184, 2), 240, 128],
      ['blobs 96-d, projected to 32', blobs(3000, 96, 12, 3), 400, 32],
      ['blobs 40-d, no projection', blobs(2000, 40, 30, 4), 300, 0],
      ['plane in 3-d', uniform(2500, 3, 5), 600, 0],
    ];
    for (const [name, f, count, pd] of cases) {
      const want = naiveGreedyCoreset(f, opts(count, pd, 7));
      const got = await greedyCoreset(f, opts(count, pd, 7));
      expect(Array.from(got), name).toEqual(Array.from(want));
    }
  });

  it('matches the naive loop through ties at distance 0 when asked for more points than there are distinct ones', async () => {
    const f = duplicates(800, 48, 25, 9);
    const want = naiveGreedyCoreset(f, opts(60, 0));
    const got = await greedyCoreset(f, opts(60, 0));
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(new Set(got.slice(0, 25)).size).toBe(25);
  });

  it('starts from the point farthest (on average) from the seeded start points and never repeats a point early', async () => {
    const f = uniform(500, 16, 12);
    const got = await greedyCoreset(f, opts(100, 0, 3));
    expect(new Set(got).size).toBe(100);
    expect(got.length).toBe(100);
  });

  it('projects with features @ P', () => {
    const f = uniform(9, 6, 4);
    const P = projectionMatrix(1, 6, 5);
    const y = project(f, P);
    for (let i = 0; i < 9; i++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let k = 0; k < 6; k++) s += f.data[i * 6 + k] * P.data[k * 5 + j];
        expect(y.data[i * 5 + j]).toBeCloseTo(s, 5);
      }
    }
  });

  it('reports progress up to count and stops with an AbortError when cancelled', async () => {
    const f = uniform(2000, 32, 6);
    const seen: Progress[] = [];
    await greedyCoreset(f, { ...opts(50, 0), onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toEqual({ stage: 'coreset', done: 50, total: 50 });
    const ctl = new AbortController();
    ctl.abort();
    await expect(greedyCoreset(f, { ...opts(50, 0), signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('handles empty input and a count of zero', async () => {
    expect((await greedyCoreset({ data: new Float32Array(0), rows: 0, cols: 4 }, opts(3, 0))).length).toBe(0);
    expect((await greedyCoreset(uniform(10, 4, 1), opts(0, 0))).length).toBe(0);
  });
});
