import { describe, expect, it } from 'vitest';
import { projectionMatrix, startIndices } from '../random';
import type { Matrix } from '../types';
import { CoresetShare, bestOf, naiveGreedyCoreset, project } from './coreset';
import { blobs } from '../testData';

/** The team's step in one thread: every share is told each centre, the next is the best of their bests. */
async function lockstep(f: Matrix, count: number, projectionDim: number, seed: number, shares: number): Promise<number[]> {
  const X = projectionDim > 0 ? project(f, projectionMatrix(seed, f.cols, projectionDim)) : f;
  const starts = startIndices(seed, f.rows, 10);
  const parts = await Promise.all(Array.from({ length: shares }, (_, s) => CoresetShare.create(X, starts, count, s, shares)));
  const out: number[] = [];
  for (let j = 0; j < count; j++) {
    const sel = bestOf(parts.map((p) => p.bestValue()), parts.map((p) => p.bestRow()));
    out.push(sel);
    for (const p of parts) p.add(sel);
  }
  return out;
}

describe('greedy coreset shared between threads', () => {
  it('shares dealt round-robin select exactly the naive loop\'s indices, also with more shares than rows', async () => {
    const cases: [string, Matrix, number, number, number][] = [
      ['blobs 96-d -> 32, 3 shares', blobs(3000, 96, 12, 3), 300, 32, 3],
      ['blobs 40-d, 2 shares', blobs(2000, 40, 30, 4), 250, 0, 2],
      ['blobs 184-d -> 128, 4 shares', blobs(1500, 184, 8, 5), 200, 128, 4],
      ['7 rows, 10 shares', blobs(7, 8, 2, 6), 7, 0, 10],
    ];
    for (const [name, f, count, pd, shares] of cases) {
      const want = Array.from(naiveGreedyCoreset(f, { count, projectionDim: pd, seed: 7, startPoints: 10 }));
      expect(await lockstep(f, count, pd, 7, shares), name).toEqual(want);
    }
  });
});
