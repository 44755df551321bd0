import { describe, expect, it } from 'vitest';
import { CORESET_START_POINTS, coresetSize } from './config';
import { greedyCoreset } from './cpu/coreset';
import { BankBuilder, gatherRows, planMemory, type MemoryPlanConfig, type SelectRows } from './memory';
import { rng } from './random';
import type { Matrix } from './types';

/** Clustered points, like patch features: blobs of different sizes and spreads, in rows of `per` (one "image"). */
function blobs(seed: number, n: number, d: number): Matrix {
  const r = rng(seed);
  const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: d }, () => r() * 4));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() ** 2 * centres.length)];
    const spread = 0.05 + 0.4 * r();
    for (let j = 0; j < d; j++) data[i * d + j] = c[j] + (r() - 0.5) * spread;
  }
  return { data, rows: n, cols: d };
}

const select: SelectRows = (m, count, onProgress) =>
  greedyCoreset(m, { count, projectionDim: 0, seed: 0, startPoints: CORESET_START_POINTS, onProgress });

async function build(x: Matrix, config: MemoryPlanConfig, per = 50, parallel = 0, log?: number[], exactWork = 0) {
  // exactWork 0: stream whenever a chunk size is set, however small the test set (see EXACT_WORK).
  const b = new BankBuilder({
    config,
    cols: x.cols,
    expectedPatches: x.rows,
    exactWork,
    select: async (m, k, p) => {
      log?.push(m.rows);
      return select(m, k, p);
    },
    parallel,
  });
  for (let i = 0; i < x.rows; i += per) {
    const n = Math.min(per, x.rows - i);
    await b.add(x.data.subarray(i * x.cols, (i + n) * x.cols), n);
  }
  return b.finish();
}

/** The covering radius: the largest distance from any point to its nearest bank vector (what k-centre minimises). */
function radius(x: Matrix, bank: Matrix): number {
  let worst = 0;
  for (let i = 0; i < x.rows; i++) {
    let best = Infinity;
    for (let j = 0; j < bank.rows; j++) {
      let s = 0;
      for (let k = 0; k < x.cols; k++) {
        const t = x.data[i * x.cols + k] - bank.data[j * x.cols + k];
        s += t * t;
      }
      if (s < best) best = s;
    }
    worst = Math.max(worst, best);
  }
  return Math.sqrt(worst);
}

describe('BankBuilder (streamed memory bank)', () => {
  const x = blobs(1, 3000, 16);
  const exactConfig = { coresetRatio: 0.1 };

  it('without a chunk size is exactly one greedy pass over every patch (Algorithm 1 as written)', async () => {
    const r = await build(x, exactConfig);
    const direct = gatherRows(x, await select(x, 300));
    expect(r.patchCount).toBe(3000);
    expect(Array.from(r.bank.data)).toEqual(Array.from(direct.data));
  });

  it('a set that fits in one chunk is selected exactly, as without chunks', async () => {
    const r = await build(x, { ...exactConfig, coresetChunk: 5000 });
    const direct = gatherRows(x, await select(x, 300));
    expect(Array.from(r.bank.data)).toEqual(Array.from(direct.data));
  });

  it('streams larger sets in chunks: the bank size is unchanged, its radius close to exact greedy', async () => {
    const sizes: number[] = [];
    const r = await build(x, { ...exactConfig, coresetChunk: 700 }, 50, 0, sizes);
    expect(r.bank.rows).toBe(300);
    expect(r.patchCount).toBe(3000);
    // Chunks of 700 (the last one shorter), then the pool: never a selection over all 3000 rows.
    expect(Math.max(...sizes)).toBeLessThan(3000);
    expect(sizes.slice(0, 4)).toEqual([700, 700, 700, 700]);
    const exact = gatherRows(x, await select(x, 300));
    const rExact = radius(x, exact);
    const rStream = radius(x, r.bank);
    expect(rStream).toBeLessThan(1.5 * rExact);
  });

  it('gives the same bank whatever the number of selections running at once', async () => {
    const one = await build(x, { ...exactConfig, coresetChunk: 500 }, 37, 0);
    const three = await build(x, { ...exactConfig, coresetChunk: 500 }, 37, 3);
    expect(Array.from(three.bank.data)).toEqual(Array.from(one.bank.data));
  });

  it('caps the bank at coresetMax and keeps the pool bounded by merging it', async () => {
    const sizes: number[] = [];
    const config = { coresetRatio: 0.25, coresetMax: 60, coresetChunk: 200 };
    const r = await build(x, config, 50, 0, sizes);
    expect(r.bank.rows).toBe(60);
    expect(coresetSize(3000, config)).toBe(60);
    // The pool never grows past max(4 x bank, one chunk) = 240 before it is merged.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(240 + 200);
  });

  it('extends a bank: its rows join the pool and the counts add up', async () => {
    const first = await build(blobs(2, 1000, 16), { coresetRatio: 0.1, coresetChunk: 400 });
    const b = new BankBuilder({
      config: { coresetRatio: 0.1, coresetChunk: 400 },
      cols: 16,
      expectedPatches: 2000,
      exactWork: 0,
      select,
      seed: { bank: first.bank, patchCount: first.patchCount },
    });
    const more = blobs(3, 1000, 16);
    await b.add(more.data, more.rows);
    const r = await b.finish();
    expect(r.patchCount).toBe(2000);
    expect(r.bank.rows).toBe(200);
  });

  it('selects a set exactly when one pass is cheap, whatever the chunk size', async () => {
    const small = await build(x, { ...exactConfig, coresetChunk: 700 }, 50, 0, undefined, 3000 * 300);
    const direct = gatherRows(x, await select(x, 300));
    expect(Array.from(small.bank.data)).toEqual(Array.from(direct.data));
  });

  it('hands the selections that run alone (the last one, an exact pass) to selectAll, the chunks to select', async () => {
    const x = blobs(21, 2000, 16);
    const calls: string[] = [];
    const make = (name: string): SelectRows => async (m, k, p) => {
      calls.push(`${name} ${m.rows}`);
      return select(m, k, p);
    };
    const cfg = { coresetRatio: 0.1, coresetChunk: 500 };
    const b = new BankBuilder({ config: cfg, cols: x.cols, expectedPatches: x.rows, exactWork: 0, select: make('one'), selectAll: make('all') });
    for (let i = 0; i < x.rows; i += 100) await b.add(x.data.subarray(i * x.cols, (i + 100) * x.cols), 100);
    const streamed = await b.finish();
    expect(calls.slice(0, 4)).toEqual(['one 500', 'one 500', 'one 500', 'one 500']);
    expect(calls.slice(4)).toEqual(['all 400']);
    expect(streamed.bank).toEqual((await build(x, cfg, 100)).bank);
    calls.length = 0;
    const exact = new BankBuilder({ config: { coresetRatio: 0.1 }, cols: x.cols, expectedPatches: x.rows, select: make('one'), selectAll: make('all') });
    await exact.add(x.data, x.rows);
    await exact.finish();
    expect(calls).toEqual(['all 2000']);
  });

  it('predicts the last selection from set-up per row and steps per row x selected, measured on the chunks', async () => {
    // A selection that takes 20 us per row to set up and 0.5 us per row x selected in steps, and says so.
    const busy = (s: number) => {
      const end = performance.now() + s * 1000;
      while (performance.now() < end);
    };
    const cost = (rows: number, k: number) => ({ setupSeconds: rows * 2e-5, stepSeconds: rows * k * 5e-7 });
    const fake: SelectRows = async (m, k, _p, timing) => {
      const c = cost(m.rows, k);
      busy(c.setupSeconds + c.stepSeconds);
      if (timing) Object.assign(timing, c);
      return Uint32Array.from({ length: k }, (_, i) => i);
    };
    const cfg = { coresetRatio: 0.1, coresetChunk: 500 };
    const n = 4000;
    const b = new BankBuilder({ config: cfg, cols: 2, expectedPatches: n, select: fake, exactWork: 0 });
    for (let i = 0; i < n / 100; i++) await b.add(new Float32Array(200), 100);
    const predicted = b.estimateFinishSeconds()!;
    // The pool: 8 chunks keep 2 x 10% of their 500 rows, 800 rows, reduced to the bank of 400.
    const truth = cost(800, 400);
    expect(predicted).toBeGreaterThan(0.8 * (truth.setupSeconds + truth.stepSeconds));
    expect(predicted).toBeLessThan(1.25 * (truth.setupSeconds + truth.stepSeconds));
  });

  it('refuses rows that do not match their count', async () => {
    const b = new BankBuilder({ config: exactConfig, cols: 16, expectedPatches: 10, select });
    await expect(b.add(new Float32Array(10), 1)).rejects.toThrow(/need 16 values/);
  });
});

describe('planMemory (the estimate before a build)', () => {
  it('plans one exact pass when it is cheap, and streamed work linear in the patches otherwise', () => {
    const cfg = { coresetRatio: 0.1, coresetMax: 20000, coresetChunk: 16384 };
    const small = planMemory(10_000, cfg);
    expect(small).toMatchObject({ exact: true, bank: 1000, finalWork: 10_000 * 1000 });
    const a = planMemory(500_000, cfg);
    const b = planMemory(1_000_000, cfg);
    expect(a.exact).toBe(false);
    expect(b.bank).toBe(20000);
    // Level-1 work per chunk shrinks as the bank's share of the patches falls: never more than linear.
    expect(b.chunkWork).toBeLessThanOrEqual(2 * a.chunkWork);
    expect(b.peakRows).toBeLessThan(200_000);
  });

  it('matches what BankBuilder does: its chunk selections and final selection, counted in rows x selected', async () => {
    const cfg = { coresetRatio: 0.1, coresetChunk: 500 };
    const works: number[] = [];
    const select: SelectRows = async (m, k) => {
      works.push(m.rows * k);
      return Uint32Array.from({ length: k }, (_, i) => i);
    };
    const n = 3000;
    const b = new BankBuilder({ config: cfg, cols: 2, expectedPatches: n, select, exactWork: 0 });
    for (let i = 0; i < n / 100; i++) await b.add(new Float32Array(200), 100);
    await b.finish();
    const plan = planMemory(n, cfg, 0, 0);
    expect(works.reduce((x, y) => x + y, 0)).toBe(plan.chunkWork + plan.finalWork);
  });
});
