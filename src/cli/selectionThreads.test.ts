// The selection pool on Node threads (the command line's build): a selection split over threads that meet at a
// barrier through SharedArrayBuffers, and chunk selections side by side, pick exactly the naive loop's rows.
import { describe, expect, it } from 'vitest';
import { naiveGreedyCoreset } from '../patchcore/cpu/coreset';
import { nodeSelectionWorker } from './selectionThreads';
import { blobs } from '../patchcore/testData';
import { SelectionPool } from '../worker/selectionPool';

describe('selection pool on Node threads', () => {
  it('threads meeting at a barrier through SharedArrayBuffers return the naive loop\'s indices', async () => {
    const f = blobs(6000, 184, 20, 8);
    const pool = new SelectionPool(1, { projectionDim: 128, seed: 3, startPoints: 10 }, undefined, 3, nodeSelectionWorker);
    try {
      const got = await pool.selectAll(f, 500);
      const want = naiveGreedyCoreset(f, { count: 500, projectionDim: 128, seed: 3, startPoints: 10 });
      expect(Array.from(got)).toEqual(Array.from(want));
    } finally {
      pool.close();
    }
  }, 60_000);

  it('runs selections side by side in separate threads, each the naive loop\'s', async () => {
    const pool = new SelectionPool(2, { projectionDim: 0, seed: 1, startPoints: 10 }, undefined, 2, nodeSelectionWorker);
    try {
      const sets = [blobs(1500, 24, 6, 1), blobs(1200, 24, 9, 2), blobs(900, 24, 4, 3)];
      const got = await Promise.all(sets.map((f) => pool.select(f, 100)));
      sets.forEach((f, i) => expect(Array.from(got[i])).toEqual(Array.from(naiveGreedyCoreset(f, { count: 100, projectionDim: 0, seed: 1, startPoints: 10 }))));
    } finally {
      pool.close();
    }
  }, 60_000);
});
