// A call split over a team of threads gives the answer of one thread: shares of whole grid rows, and every share
// whose helper is missing, not ready or failing searched by the calling thread instead. The same for an image's
// preprocessing, split by input rows.
import { describe, expect, it } from 'vitest';
import { blobs, nearRows } from '../testData';
import type { NearestResult } from '../types';
import { BankIndex, type SearchStats } from './bankIndex';
import { nearest } from './knn';
import { preprocess, preprocessRows, type RgbaImage } from '../preprocess';
import { MIN_SHARE_ROWS, MIN_SHARED_PIXELS, shareStarts, teamNearest, teamPreprocess, type SearchTeam } from './searchTeam';

/** A team in this thread: each helper restores its own index from the stored part, as a worker does. */
function localTeam(size: number, opts: { ready?: (h: number) => boolean; fail?: (h: number) => boolean } = {}) {
  const held = new Map<number, BankIndex>();
  const asked: number[] = [];
  const rows: [number, number][] = [];
  const team: SearchTeam = {
    size,
    adopt: () => {},
    ready: (h) => opts.ready?.(h) ?? true,
    async nearest(h, index, queries, gridW): Promise<NearestResult & { stats: SearchStats }> {
      asked.push(queries.rows);
      if (opts.fail?.(h)) throw new Error('helper stopped');
      if (!held.has(h)) held.set(h, BankIndex.restore(index.bank, index.stored)!);
      const own = held.get(h)!;
      const r = own.nearest({ data: queries.data.slice(), rows: queries.rows, cols: queries.cols }, { gridW });
      return { ...r, stats: own.lastStats };
    },
    alive: (h) => opts.ready?.(h) ?? true,
    async preprocess(h, s) {
      rows.push([s.y0, s.y1]);
      if (opts.fail?.(h)) throw new Error('helper stopped');
      // As a worker gets it: a copy of only the source rows it was given.
      return preprocessRows({ ...s.image, data: s.image.data.slice() }, s.norm, s.geometry, s.y0, s.y1, s.firstRow);
    },
  };
  return { team, asked, rows };
}


describe('splitting a search over threads', () => {
  it('cuts whole grid rows in near-equal shares, and does not split calls too small to pay', () => {
    expect(shareStarts(84 * 56, 2, 84)).toEqual([0, 84 * 28, 84 * 56]);
    expect(shareStarts(28 * 28, 4, 28)).toEqual([0, 196, 392, 588, 784]);
    expect(shareStarts(28 * 5, 2, 28)).toEqual([0, 84, 140]);
    // Not a whole grid: plain rows.
    expect(shareStarts(301, 2, 28)).toEqual([0, 151, 301]);
    expect(shareStarts(2 * MIN_SHARE_ROWS - 1, 4, 0)).toEqual([0, 2 * MIN_SHARE_ROWS - 1]);
    expect(shareStarts(10, 3, 0)).toEqual([0, 10]);
  });

  it('a team of helpers returns the brute force\'s answer for every patch, with the work of every share counted', async () => {
    const bank = blobs(3000, 48, 30, 2, 20);
    const index = BankIndex.build(bank)!;
    const queries = nearRows(bank, 30 * 20, 5, 0.4, 131);
    const { team, asked } = localTeam(3);
    const got = await teamNearest(index, team, queries, 30);
    const want = nearest(queries, bank);
    expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
    expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
    expect(asked).toEqual([150, 150, 150]);
    expect(index.lastStats.queries).toBe(600);
    expect(index.lastStats.projected).toBeGreaterThan(0);
    // Alone, the same call measures about as much: each share's first patch has no neighbour to start from (a
    // search from nothing measures tens of rows here where a seeded one measures about 2), and its first row no patch above.
    const alone = BankIndex.restore(bank, index.stored)!;
    alone.nearest(queries, { gridW: 30 });
    expect(index.lastStats.measured).toBeGreaterThanOrEqual(alone.lastStats.measured);
    expect(index.lastStats.measured).toBeLessThan(1.3 * alone.lastStats.measured);
  });

  it('searches the shares of helpers that fail or are not ready on the calling thread, with the same answer', async () => {
    const bank = blobs(2000, 32, 20, 4, 10);
    const index = BankIndex.build(bank)!;
    const queries = nearRows(bank, 20 * 20, 9, 0.4, 131);
    const want = nearest(queries, bank);
    const failing = localTeam(2, { fail: (h) => h === 1 });
    const notReady = localTeam(2, { ready: (h) => h === 0 });
    for (const { team, asked } of [failing, notReady]) {
      const got = await teamNearest(index, team, queries, 20);
      expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(asked.length).toBeGreaterThan(0);
    }
    // Only the ready helper was asked; the call was split in two, not three.
    expect(notReady.asked).toEqual([200]);
  });

  it('preprocesses a large image in shares of input rows, the same input bit for bit, also where a helper fails', async () => {
    let seed = 5;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const img: RgbaImage = { data: Uint8ClampedArray.from({ length: 1000 * 600 * 4 }, () => rnd() * 256), width: 1000, height: 600 };
    expect(img.width * img.height).toBeGreaterThanOrEqual(MIN_SHARED_PIXELS);
    const norm = { mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const, inputSize: 224, inputMultiple: 16 };
    for (const opts of [{ framing: 'fit' as const, workingSize: 448 }, { framing: 'crop' as const, workingSize: 224 }]) {
      const want = preprocess(img, norm, opts);
      for (const t of [localTeam(2), localTeam(3, { fail: (h) => h === 1 })]) {
        const got = await teamPreprocess(t.team, img, norm, opts);
        expect({ width: got.width, height: got.height, window: got.window }).toEqual({ width: want.width, height: want.height, window: want.window });
        expect(got.data.every((v, i) => Object.is(v, want.data[i]))).toBe(true);
        // Every helper got a share of the rows; the calling thread kept the first.
        expect(t.rows.length).toBe(t.team.size);
        expect(t.rows[0][0]).toBeGreaterThan(0);
        expect(t.rows.at(-1)![1]).toBe(want.height);
      }
    }
    // A small image stays on this thread.
    const small = localTeam(2);
    const thumb: RgbaImage = { data: img.data.subarray(0, 300 * 200 * 4), width: 300, height: 200 };
    expect(Array.from((await teamPreprocess(small.team, thumb, norm)).data)).toEqual(Array.from(preprocess(thumb, norm).data));
    expect(small.rows).toEqual([]);
  });
});
