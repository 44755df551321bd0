// The checks scan.test.ts runs on each build of the scan: in its own process too, because Node 20 runs relaxed SIMD
// only behind --experimental-wasm-relaxed-simd (scan.test.ts starts a child with the flag and this file as main).
import { BankIndex } from '../cpu/bankIndex';
import { kNearest, nearest } from '../cpu/knn';
import { blobs } from '../testData';
import type { Matrix } from '../types';
import { BlockScan, bestScan, scanAvailable, type ClusterRuns, type ScanFlavour } from './scan';

/** A small seeded generator (the checks must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

export interface ScanCheck {
  flavour: ScanFlavour;
  /** Rows kept by scan() and by the TypeScript twin: the same rows, in the same order. */
  sameKeptAsTwin: boolean;
  /** Largest relative difference of a kept row's sum from the twin's (0 for plain SIMD: same fp32 operations). */
  maxSumDiff: number;
  /** Every row the double sum keeps under the limit is kept (the slack never drops one). */
  keepsAllTheDoubleSumKeeps: boolean;
  /** runs() keeps the twin's rows with the twin's sums, and every row within the bound (in the double sum). */
  runsAgree: boolean;
  /** within() answers as the double sum does, away from the limit, and never drops a row the double sum keeps. */
  distanceAgrees: boolean;
  /** The index on this build answers 1-NN and k-NN as brute force does, bit for bit. */
  indexExact: boolean;
}

/** Runs every check on one build (which this runtime must have). */
export function checkScan(flavour: ScanFlavour): ScanCheck {
  const rnd = lcg(7);
  const rows = 37, p = 16, cols = 21, clusters = 5; // 37 rows: the last block is padding; 21: a distance tail
  // Five clusters of positions, each row near its centre at its own spread, so that runs() skips whole clusters and
  // the ends of runs.
  const starts = [0, 6, 15, 22, 30, 37];
  const centres = Float32Array.from({ length: clusters * p }, () => rnd() * 8 - 4);
  const projected = new Float32Array(rows * p);
  for (let c = 0; c < clusters; c++)
    for (let pos = starts[c]; pos < starts[c + 1]; pos++) {
      const spread = 0.2 + 1.5 * rnd();
      for (let j = 0; j < p; j++) projected[pos * p + j] = centres[c * p + j] + (rnd() * 2 - 1) * spread;
    }
  const bank: Matrix = { data: Float32Array.from({ length: rows * cols }, () => rnd() * 4 - 2), rows, cols };
  const members = clusterRuns(projected, p, centres, starts);
  const twin = new BlockScan('typescript', projected, p, bank, centres, clusters, members);
  const sc = new BlockScan(flavour, projected, p, bank, centres, clusters, members);
  let sameKeptAsTwin = true, keepsAll = true, distanceAgrees = true, runsAgree = true;
  let maxSumDiff = 0;
  for (let trial = 0; trial < 40; trial++) {
    const near = trial % clusters;
    const qp = Float64Array.from({ length: p }, (_, j) => centres[near * p + j] + rnd() * 3 - 1.5);
    const Q = Float32Array.from({ length: cols }, () => rnd() * 4 - 2);
    twin.setQuery(qp, 0, Q, 0);
    sc.setQuery(qp, 0, Q, 0);
    const first = trial % 7, end = rows - (trial % 5);
    const exact = (r: number) => {
      let s = 0;
      for (let j = 0; j < p; j++) s += (Math.fround(qp[j]) - projected[r * p + j]) ** 2;
      return s;
    };
    const sums = Array.from({ length: rows }, (_, r) => exact(r)).sort((a, b) => a - b);
    const lim = sums[trial % rows];
    const nt = twin.scan(first, end, lim), ns = sc.scan(first, end, lim);
    const kt = Array.from({ length: nt }, (_, i) => twin.keptPos[2 * i]);
    const ks = Array.from({ length: ns }, (_, i) => sc.keptPos[2 * i]);
    if (kt.join() !== ks.join()) sameKeptAsTwin = false;
    for (let i = 0; i < Math.min(nt, ns); i++) {
      const a = twin.keptSum[2 * i + 1], b = sc.keptSum[2 * i + 1];
      maxSumDiff = Math.max(maxSumDiff, Math.abs(a - b) / Math.max(1e-30, Math.abs(a)));
    }
    for (let r = first & ~3; r < Math.min(rows, (end + 3) & ~3); r++) if (exact(r) <= lim && !ks.includes(r)) keepsAll = false;
    // runs(): at a bound between the rows' distances, every row within it kept, as by the twin.
    const bound = Math.sqrt(lim);
    const mt = twin.runs(bound), ms = sc.runs(bound);
    const rt = Array.from({ length: mt }, (_, i) => twin.keptPos[2 * i]);
    const rs = Array.from({ length: ms }, (_, i) => sc.keptPos[2 * i]);
    if (rt.join() !== rs.join() || twin.lastScanned !== sc.lastScanned) runsAgree = false;
    if (flavour !== 'relaxed' && rt.some((_, i) => twin.keptSum[2 * i + 1] !== sc.keptSum[2 * i + 1])) runsAgree = false;
    if (new Set(rs).size !== ms || rs.some((r) => r < 0 || r >= rows)) runsAgree = false;
    for (let r = 0; r < rows; r++) if (exact(r) <= lim && !rs.includes(r)) runsAgree = false;
    for (let r = 0; r < rows; r++) {
      let d = 0;
      for (let j = 0; j < cols; j++) d += (Q[j] - bank.data[r * cols + j]) ** 2;
      if (!sc.within(r, d)) distanceAgrees = false; // exactly at the limit: kept
      if (sc.within(r, d * 0.9)) distanceAgrees = false; // clearly past it: dropped
    }
  }
  return { flavour, sameKeptAsTwin, maxSumDiff, keepsAllTheDoubleSumKeeps: keepsAll, runsAgree, distanceAgrees, indexExact: indexExact(flavour) };
}

/**
 * Clusters over positions as the index lays them out (`starts`): each member's distance to its centre, and the
 * members reordered in place (farthest first), as BankIndex orders them.
 */
function clusterRuns(projected: Float32Array, p: number, centres: Float32Array, starts: number[]): ClusterRuns {
  const rows = projected.length / p;
  const toCentre = new Float64Array(rows);
  const radii = new Float64Array(starts.length - 1);
  for (let c = 0; c + 1 < starts.length; c++) {
    const dist = (pos: number) => Math.sqrt(Array.from({ length: p }, (_, j) => (projected[pos * p + j] - centres[c * p + j]) ** 2).reduce((a, b) => a + b));
    const members = Array.from({ length: starts[c + 1] - starts[c] }, (_, i) => {
      const pos = starts[c] + i;
      return { row: projected.slice(pos * p, (pos + 1) * p), d: dist(pos) };
    }).sort((a, b) => b.d - a.d);
    members.forEach((m, i) => {
      projected.set(m.row, (starts[c] + i) * p);
      toCentre[starts[c] + i] = m.d;
    });
    radii[c] = members[0].d;
  }
  return { starts: Uint32Array.from(starts), radii, toCentre };
}

/** Large-norm clustered banks (the fp32 cancellation case), duplicates and k nearest: the index on `flavour`. */
function indexExact(flavour: ScanFlavour): boolean {
  const bank = blobs(2500, 64, 30, 3, 50);
  bank.data.copyWithin(2499 * 64, 7 * 64, 8 * 64);
  const index = BankIndex.build(bank)!;
  const rnd = lcg(11);
  const q: Matrix = { data: new Float32Array(400 * 64), rows: 400, cols: 64 };
  for (let i = 0; i < q.rows; i++) for (let j = 0; j < 64; j++) q.data[i * 64 + j] = bank.data[((i * 31) % bank.rows) * 64 + j] + (rnd() - 0.5) * 0.4;
  const got = index.nearest(q, { gridW: 20, scan: flavour }), want = nearest(q, bank);
  if (!got.distances.every((d, i) => d === want.distances[i]) || !got.indices.every((d, i) => d === want.indices[i])) return false;
  for (const r of [0, 7, 2499, 1234]) {
    const v = bank.data.slice(r * 64, (r + 1) * 64);
    const a = index.kNearest(v, 9, flavour), b = kNearest(v, bank, 9);
    if (!a.indices.every((x, i) => x === b.indices[i]) || !a.distances.every((x, i) => x === b.distances[i])) return false;
  }
  return true;
}

// As a child process (scan.test.ts): report feature detection and the relaxed build's checks as one JSON line.
if (process.argv[1]?.endsWith('scan.fixture.ts')) {
  const relaxed = scanAvailable('relaxed') ? checkScan('relaxed') : null;
  console.log(JSON.stringify({ best: bestScan(), relaxed }));
}
