import { describe, expect, it } from 'vitest';
import { blobs, nearRows, uniform } from '../testData';
import type { Matrix } from '../types';
import { scanAvailable } from '../wasm/scan';
import { AdaptiveNearest, BankIndex, MIN_INDEXED_ROWS, bankChecksum, kNearestWith, nearestWith, type ScanChoice } from './bankIndex';
import { kNearest, nearest } from './knn';

/**
 * Every way the index can run its loops: the TypeScript loop, the SIMD scan's TypeScript twin, the WebAssembly SIMD
 * scan, and relaxed SIMD where this runtime has it (Node 20 does not without a flag: scan.test.ts runs those checks
 * in a child process with the flag).
 */
const SCANS: ScanChoice[] = ['none', 'typescript', 'simd', ...(scanAvailable('relaxed') ? (['relaxed'] as const) : [])];

function expectSameAsBruteForce(index: BankIndex, queries: Matrix, bank: Matrix, gridW = 0, scan: ScanChoice = 'auto') {
  const want = nearest(queries, bank);
  const got = index.nearest(queries, { gridW, scan });
  // Bit for bit: the index scores its candidates exactly as the brute force does.
  expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
  expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
}

describe.each(SCANS)('the bank index finds exactly what brute force finds (loops: %s)', (scan) => {
  it('on clustered vectors with large norms (the fp32 cancellation case), pruning most distances', () => {
    const bank = blobs(3000, 64, 40, 1, 50);
    const index = BankIndex.build(bank)!;
    const queries = nearRows(bank, 500, 3, 0.3);
    expectSameAsBruteForce(index, queries, bank, 25, scan);
    const s = index.lastStats;
    expect(s.measured / s.bruteForce).toBeLessThan(0.25);
  });

  it('on uniform random vectors, where pruning cannot help', () => {
    const bank = uniform(1200, 40, 5, -1, 1);
    const queries = uniform(300, 40, 6, -1, 1);
    expectSameAsBruteForce(BankIndex.build(bank)!, queries, bank, 0, scan);
  });

  it('with duplicate bank rows and queries equal to bank rows: ties go to the lowest index, distance 0', () => {
    const bank = blobs(900, 24, 10, 7);
    for (const [from, to] of [[10, 500], [10, 899], [42, 43]]) bank.data.copyWithin(to * 24, from * 24, (from + 1) * 24);
    const index = BankIndex.build(bank)!;
    const queries: Matrix = { data: new Float32Array(4 * 24), rows: 4, cols: 24 };
    [500, 899, 43, 10].forEach((r, i) => queries.data.set(bank.data.subarray(r * 24, (r + 1) * 24), i * 24));
    const got = index.nearest(queries, { scan });
    expect(Array.from(got.indices)).toEqual([10, 10, 42, 10]);
    expectSameAsBruteForce(index, queries, bank, 0, scan);
  });

  it("answers eq. 7's k nearest as brute force does, on every kind of query", () => {
    const bank = blobs(2000, 48, 30, 11, 20);
    bank.data.copyWithin(1999 * 48, 5 * 48, 6 * 48); // a duplicate: a tie inside the k
    const index = BankIndex.build(bank)!;
    for (const r of [0, 5, 777, 1999]) {
      const q = bank.data.slice(r * 48, (r + 1) * 48);
      for (const k of [1, 3, 9, 40]) {
        const got = index.kNearest(q, k, scan), want = kNearest(q, bank, k);
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
        expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
      }
    }
    const far = Float32Array.from({ length: 48 }, (_, j) => 100 + j);
    expect(Array.from(index.kNearest(far, 9, scan).indices)).toEqual(Array.from(kNearest(far, bank, 9).indices));
  });

  it('falls back to brute force for a bank too small to cluster', () => {
    const bank = uniform(MIN_INDEXED_ROWS - 1, 8, 2);
    expect(BankIndex.build(bank)).toBeNull();
    const q = uniform(20, 8, 3);
    expect(nearestWith(null, q, bank)).toEqual(nearest(q, bank));
    expect(kNearestWith(null, q.data.subarray(0, 8), bank, 4)).toEqual(kNearest(q.data.subarray(0, 8), bank, 4));
  });
});

describe('a stored index is used only for its own bank', () => {
  const bank = blobs(1000, 16, 12, 21);
  const index = BankIndex.build(bank)!;

  it('restores from what was stored and answers the same', () => {
    const restored = BankIndex.restore(bank, index.stored)!;
    const q = nearRows(bank, 100, 4, 0.2);
    expect(restored.nearest(q)).toEqual(index.nearest(q));
  });

  it('is refused for a changed bank, another shape, another version, or damaged axes and clusters', () => {
    const changed = { ...bank, data: bank.data.slice() };
    changed.data[123] += 1e-3;
    expect(bankChecksum(changed)).not.toBe(bankChecksum(bank));
    expect(BankIndex.restore(changed, index.stored)).toBeNull();
    expect(BankIndex.restore({ ...bank, rows: 999, data: bank.data.subarray(0, 999 * 16) }, index.stored)).toBeNull();
    expect(BankIndex.restore(bank, { ...index.stored, version: 99 })).toBeNull();
    const axes = index.stored.axes.slice();
    axes[3] += 0.5;
    expect(BankIndex.restore(bank, { ...index.stored, axes })).toBeNull();
    const cluster = index.stored.cluster.slice();
    cluster[0] = 5000;
    expect(BankIndex.restore(bank, { ...index.stored, cluster })).toBeNull();
    expect(BankIndex.restore(bank, { ...index.stored, cluster: cluster.subarray(1) })).toBeNull();
  });

  it('stays exact with a valid but poor clustering (every row in one cluster)', () => {
    const one = BankIndex.restore(bank, { ...index.stored, cluster: new Uint32Array(bank.rows) })!;
    const q = nearRows(bank, 60, 9, 0.5);
    expect(one.nearest(q)).toEqual(nearest(q, bank));
  });
});

describe('the index where it pays, the brute force where it does not', () => {
  const bank = blobs(1500, 32, 16, 31, 5);
  const queries = nearRows(bank, 1400, 8, 0.4);
  const want = nearest(queries, bank);
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('keeps the index for the whole call when the brute force is slower, with the same answers', async () => {
    const a = new AdaptiveNearest(BankIndex.build(bank)!, async (rows) => (await wait(400), nearest(rows, bank)));
    for (let call = 0; call < 2; call++) {
      expect(await a.nearest(queries)).toEqual(want);
    }
    expect(a.lastSplit).toEqual({ index: 1400, brute: 0 });
  });

  it('hands the rest of each call to a faster brute force, still checking a few queries with the index', async () => {
    // A brute force that answers at once (from the known answers; its rows are a view of the queries'): the index
    // cannot beat it.
    const instant = async (rows: Matrix) => {
      const start = (rows.data.byteOffset - queries.data.byteOffset) / 4 / queries.cols;
      return { distances: want.distances.slice(start, start + rows.rows), indices: want.indices.slice(start, start + rows.rows) };
    };
    const a = new AdaptiveNearest(BankIndex.build(bank)!, instant);
    expect(await a.nearest(queries)).toEqual(want);
    expect(a.lastSplit.brute).toBeGreaterThan(0);
    // Far behind (an instant brute force): the next 7 calls go to the brute force whole, the 8th rechecks 64 queries.
    const splits = [];
    for (let call = 0; call < 8; call++) {
      expect(await a.nearest(queries)).toEqual(want);
      splits.push(a.lastSplit);
    }
    expect(splits.slice(0, 7)).toEqual(Array(7).fill({ index: 0, brute: 1400 }));
    expect(splits[7]).toEqual({ index: 64, brute: 1400 - 64 });
  });
});

describe.each(SCANS)('degenerate banks (loops: %s)', (scan) => {
  it('indexes a bank with constant columns and repeated rows, and still answers as brute force', () => {
    const bank = blobs(800, 24, 3, 41);
    for (let r = 0; r < bank.rows; r++) for (const c of [0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]) bank.data[r * 24 + c] = 1;
    const index = BankIndex.build(bank, { axes: 16 })!;
    const q = nearRows(bank, 50, 2, 0.3);
    expect(index.nearest(q, { scan })).toEqual(nearest(q, bank));
    // Every row the same: no direction has any variance at all.
    const same: Matrix = { data: new Float32Array(600 * 16).fill(2), rows: 600, cols: 16 };
    const ones: Matrix = { data: new Float32Array(3 * 16).fill(1), rows: 3, cols: 16 };
    expect(BankIndex.build(same)!.nearest(ones, { scan })).toEqual(nearest(ones, same));
  });

  it('a bank too large to copy into the scan keeps its full distances in TypeScript, with the same answers', () => {
    const bank = blobs(1200, 32, 10, 8, 20);
    const index = BankIndex.build(bank)!;
    const q = nearRows(bank, 200, 4, 0.3);
    const want = nearest(q, bank);
    expect(index.nearest(q, { gridW: 10, scan, scanRowsMaxBytes: 1024 })).toEqual(want);
    if (scan !== 'none') expect(index.scanFor(scan, 1024)!.hasRows).toBe(false);
  });

  it('a bank whose width is not a multiple of 16 (the distance loop has a tail), with a far-off query', () => {
    const bank = blobs(1500, 37, 12, 5, 30);
    const index = BankIndex.build(bank)!;
    const q = nearRows(bank, 120, 9, 0.5);
    q.data.fill(1e4, 0, 37);
    expectSameAsBruteForce(index, q, bank, 12, scan);
  });
});
