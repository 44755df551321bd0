// Search helpers on Node threads (the command line's inspect; the app's Web Workers run the same handler): each
// restores its own copy of the index and searches a share of a call, and the answer is the brute force's for every
// patch, also when a helper refuses the index, stops, or the pool closes.
import { describe, expect, it } from 'vitest';
import { BankIndex } from '../patchcore/cpu/bankIndex';
import { nearest } from '../patchcore/cpu/knn';
import { teamNearest } from '../patchcore/cpu/searchTeam';
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
