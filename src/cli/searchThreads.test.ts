// Search helpers on Node threads (the command line's inspect; the app's Web Workers run the same handler): each
// restores its own copy of the index and searches a share of a call, and the answer is the brute force's for every
// patch, also when a helper refuses the index, stops, or the pool closes. They preprocess shares of images too.
import { describe, expect, it } from 'vitest';
import { BankIndex } from '../patchcore/cpu/bankIndex';
import { nearest } from '../patchcore/cpu/knn';
import { teamNearest, teamPreprocess } from '../patchcore/cpu/searchTeam';
import { geometryOf, preprocess, preprocessRows, sourceBand } from '../patchcore/preprocess';
import { blobs, nearRows } from '../patchcore/testData';
import { SearchPool } from '../worker/searchPool';
import { nodeSearchWorker } from './searchThreads';


const same = (got: { distances: Float32Array; indices: Uint32Array }, want: { distances: Float32Array; indices: Uint32Array }) => {
  expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
  expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
};

describe('search helpers on Node threads', () => {
  it('two helpers each search a share of a grid and the answer is the brute force\'s', async () => {
    const bank = blobs(4000, 64, 40, 3, 30);
    const pool = new SearchPool(2, nodeSearchWorker);
    try {
      const index = BankIndex.build(bank)!;
      pool.adopt(index);
      expect(await pool.whenReady(index)).toBe(true);
      const queries = nearRows(bank, 40 * 30, 11, 0.3, 97);
      same(await teamNearest(index, pool, queries, 40), nearest(queries, bank));
      // A second model's index beside the first: both stay searchable.
      const other = blobs(1500, 64, 12, 8, 5);
      const index2 = BankIndex.build(other)!;
      pool.adopt(index2);
      expect(await pool.whenReady(index2)).toBe(true);
      expect(pool.ready(0, index)).toBe(true);
      const q2 = nearRows(other, 500, 4, 0.3, 97);
      same(await teamNearest(index2, pool, q2, 0), nearest(q2, other));
      // The same threads make shares of a large image's backbone input: preprocess()'s, bit for bit.
      const img = { data: Uint8ClampedArray.from({ length: 1200 * 800 * 4 }, (_, i) => (i * 2654435761) >>> 24), width: 1200, height: 800 };
      const norm = { mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const, inputSize: 224, inputMultiple: 16 };
      const want = preprocess(img, norm, { framing: 'fit', workingSize: 448 });
      const got = await teamPreprocess(pool, img, norm, { framing: 'fit', workingSize: 448 });
      expect(got.data.length).toBe(want.data.length);
      expect(got.data.every((v, i) => Object.is(v, want.data[i]))).toBe(true);
      // (teamPreprocess makes a failed share itself: ask a helper directly, so a failure shows.)
      const g = geometryOf(img, norm, { framing: 'fit', workingSize: 448 });
      const share = { ...sourceBand(img, g, 100, 300), norm, geometry: g, y0: 100, y1: 300 };
      expect(Array.from(await pool.preprocess(1, share))).toEqual(Array.from(preprocessRows(img, norm, g, 100, 300)));
    } finally {
      pool.close();
    }
  }, 60_000);

  it('a helper given an index that does not name its bank refuses it, and the engine searches alone', async () => {
    const bank = blobs(2000, 32, 20, 5, 10);
    const index = BankIndex.build(bank)!;
    // What a corrupted store would hand over: a checksum of another bank.
    const stored = index.stored as { checksum: number };
    stored.checksum ^= 1;
    const pool = new SearchPool(1, nodeSearchWorker);
    try {
      pool.adopt(index);
      expect(await pool.whenReady(index)).toBe(false);
      const queries = nearRows(bank, 600, 2, 0.3, 97);
      same(await teamNearest(index, pool, queries, 0), nearest(queries, bank));
    } finally {
      pool.close();
    }
  }, 60_000);

  it('a closed pool or a helper that dies loses no answer: the calling thread searches those shares', async () => {
    const bank = blobs(2000, 32, 20, 6, 10);
    const index = BankIndex.build(bank)!;
    const queries = nearRows(bank, 800, 3, 0.3, 97);
    const want = nearest(queries, bank);
    const pool = new SearchPool(1, nodeSearchWorker);
    pool.adopt(index);
    expect(await pool.whenReady(index)).toBe(true);
    // Closed while a call is on its way: that share comes back from this thread.
    const during = teamNearest(index, pool, queries, 0);
    pool.close();
    same(await during, want);
    expect(pool.ready(0, index)).toBe(false);
    same(await teamNearest(index, pool, queries, 0), want);

    // A helper thread that dies mid-search (its error event, as a crash gives): never asked again.
    const crashing = new SearchPool(1, () => {
      const w = nodeSearchWorker();
      const post = w.postMessage.bind(w);
      w.postMessage = (msg, transfer) => {
        if (msg.type === 'nearest') setTimeout(() => w.onerror?.({ message: 'out of memory' }), 0);
        else post(msg, transfer);
      };
      return w;
    });
    crashing.adopt(index);
    expect(await crashing.whenReady(index)).toBe(true);
    same(await teamNearest(index, crashing, queries, 0), want);
    expect(crashing.ready(0, index)).toBe(false);
    crashing.close();
  }, 60_000);
});
