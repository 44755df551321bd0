// The WASM kernels against their TypeScript twins on the same seeded inputs: same nearest memory vectors and
// distances.
import { afterAll, describe, expect, it } from 'vitest';
import { cpuKernels } from '../cpu';
import type { Matrix } from '../types';
import { createWasmKernels } from './index';
import { blobs, uniform } from '../testData';

// Small chunks so that every test crosses chunk boundaries of the kNN graph.
const wasm = await createWasmKernels({ knn: { chunkRows: 1500 } });
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
