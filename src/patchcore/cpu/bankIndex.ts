// An exact nearest-neighbour index over the memory bank: the answers of brute force (knn.ts), bit for bit, while
// computing only a few percent of the distances on real patch features.
//
// How it prunes (all bounds are lower bounds on the true L2 distance, so nothing that could win is skipped):
// - The bank is projected onto its leading principal axes (the top `axes` eigenvectors of its covariance, found
//   by block power iteration). A projection never lengthens a vector, so the distance in those few axes bounds the
//   full distance from below; most of the variance of real features lies there, so the bound is tight.
// - The projected bank is clustered (k-means, ~sqrt(N) clusters). A cluster whose centre is farther from the query
//   than the best distance so far plus the cluster's radius is skipped whole; within a cluster, members are sorted
//   by their distance to the centre, so the triangle inequality skips runs of them.
// - Each query starts from the nearest vector of its grid neighbours (the previous patch and the one above), which
//   is usually as near as the answer and so makes every bound bite from the first cluster on.
// - A candidate that survives the bounds is measured in the original space with an early exit every 16 dimensions,
//   and one that may win is scored exactly as knn.ts scores it (|b|^2 - 2 q.b in double, index order), so
//   distances are the twin's to the last bit and ties go to the lowest bank index, as there.
// - Where WebAssembly SIMD runs, the hot loops run there (../wasm/scan.wat; relaxed SIMD's fused multiply-add
//   where the browser has it): the centres and a cluster's members in every projected axis, four rows per
//   instruction, and the full distance of a survivor; for a query seeded by its grid neighbours, the whole cluster
//   loop, in one call at the seed's bound (Search.runSeeded). Their fp32 sums are widened by their worst-case
//   error, so they drop only what the double sums below would drop. Without SIMD, the TypeScript loops do all of it.
// Rounding: the fp32 projection and fp32 stored coordinates can shift a bound by ~1e-6 of the vectors' norms; every
// comparison that skips work adds a margin of 4e-6 x (|q| + the largest |b| + the best distance), far above that.
import { rng, startIndices } from '../random';
import type { Matrix, NearestResult } from '../types';
import { dot4x4 } from './dot';
import { kNearest as bruteKNearest, nearest as bruteNearest, rowNorms } from './knn';
import { BlockScan, bestScan, runEnd, runStart, SCAN_AXES, type ScanFlavour } from '../wasm/scan';
import { teamNearest, type SearchTeam } from './searchTeam';

/** Banks smaller than this are searched by brute force: clustering them costs more than it saves. */
export const MIN_INDEXED_ROWS = 512;
/** Vectors shorter than this are searched by brute force (the search reads 8 projected axes at once). */
export const MIN_INDEXED_COLS = 8;
/** Version of the stored index; an index of another version is rebuilt. */
export const BANK_INDEX_VERSION = 1;

/** Relative margin on every pruning comparison (see the rounding note at the top). */
const MARGIN = 4e-6;
/** Principal axes kept for the bounds: more tighten them, fewer make each one cheaper. */
const DEFAULT_AXES = 32;
const POWER_ITERATIONS = 12;
const KMEANS_ITERATIONS = 8;
/** Rows the covariance is estimated from: the axes need only be orthonormal to be exact, not optimal. */
const COVARIANCE_SAMPLE = 4096;
/** Dimensions between early-exit checks of a full distance. */
const EXIT_STRIDE = 16;

/** What is stored with a model: the expensive part of the index (axes and clusters); the rest is rebuilt on load. */
export interface StoredBankIndex {
  version: number;
  rows: number;
  cols: number;
  /** FNV-1a of the bank's fp32 bits: ties the index to exactly one bank. */
  checksum: number;
  /** axes x cols, row-major, orthonormal rows. */
  axes: Float32Array;
  /** Cluster of every bank row. */
  cluster: Uint32Array;
}

export interface BankIndexOptions {
  axes?: number;
  clusters?: number;
  seed?: number;
}

export interface NearestOptions {
  /** Queries are a row-major grid this wide (patch features): the patch above seeds each search too. */
  gridW?: number;
  /** Which loops: the best SIMD the runtime has ('auto', default), a given build, or 'none' (the TypeScript loops). */
  scan?: ScanChoice;
  /** Tests: the size up to which the scan copies the bank (scan.ts ROWS_COPY_MAX_BYTES), to test the path above it. */
  scanRowsMaxBytes?: number;
}

/** The scan a search uses: see NearestOptions.scan. */
export type ScanChoice = 'auto' | 'none' | ScanFlavour;

/** Work done by the last nearest() call, to show how much was pruned. */
export interface SearchStats {
  queries: number;
  /** Candidates that passed the cluster and member bounds and had their projected distance measured. */
  projected: number;
  /** Candidates measured in the original space (some exit early). */
  measured: number;
  /** Brute force would measure queries x rows. */
  bruteForce: number;
}

/** FNV-1a over the bank's fp32 bit patterns (and shape): cheap, and any changed value changes it. */
export function bankChecksum(bank: Matrix): number {
  const u = new Uint32Array(bank.data.buffer, bank.data.byteOffset, bank.rows * bank.cols);
  let h = 0x811c9dc5 ^ bank.rows ^ Math.imul(bank.cols, 0x9e3779b1);
  for (let i = 0; i < u.length; i++) {
    const w = u[i];
    h = Math.imul(h ^ (w & 0xffff), 0x01000193);
    h = Math.imul(h ^ (w >>> 16), 0x01000193);
  }
  return h >>> 0;
}

/**
 * Whether a stored index names this bank (its version, shape and checksum): the cheap part of restore's checks, for
 * storage that keeps an index only with the bank it was built on. Restore still checks the rest before searching.
 */
export function indexNamesBank(bank: Matrix, stored: StoredBankIndex): boolean {
  return (
    stored.version === BANK_INDEX_VERSION &&
    stored.rows === bank.rows &&
    stored.cols === bank.cols &&
    stored.checksum === bankChecksum(bank)
  );
}

/** A copy of a stored index that owns its arrays, to send away (transfer) while a live BankIndex keeps its own. */
export function copyStoredIndex(stored: StoredBankIndex): StoredBankIndex {
  return { ...stored, axes: stored.axes.slice(), cluster: stored.cluster.slice() };
}

export class BankIndex {
  /** Search statistics of the last nearest() call. */
  lastStats: SearchStats = { queries: 0, projected: 0, measured: 0, bruteForce: 0 };
  // The layout below is read by the search (one module); callers use nearest() and kNearest().
  readonly norms: Float64Array;
  readonly maxNorm: number;
  /** Bank rows in cluster order, and per position: projected coordinates, distance to its centre. */
  readonly order: Uint32Array;
  readonly projected: Float32Array;
  readonly toCentre: Float64Array;
  /** Per cluster: [start, end) positions, centre (axes values), radius. */
  readonly starts: Uint32Array;
  readonly centres: Float64Array;
  readonly radii: Float64Array;
  readonly k: number;
  readonly p: number;
  /** The SIMD scan's copy of the projected bank (and of the bank), made on first use, per flavour. */
  private readonly scans = new Map<string, BlockScan>();

  private constructor(
    readonly bank: Matrix,
    readonly stored: StoredBankIndex,
  ) {
    const { rows, cols } = bank;
    const p = (this.p = stored.axes.length / cols);
    this.norms = rowNorms(bank);
    let mx = 0;
    for (let i = 0; i < rows; i++) mx = Math.max(mx, this.norms[i]);
    this.maxNorm = Math.sqrt(mx);
    const proj = projectRows(bank, stored.axes, p);

    let k = 0;
    for (let i = 0; i < rows; i++) k = Math.max(k, stored.cluster[i] + 1);
    const counts = new Uint32Array(k + 1);
    for (let i = 0; i < rows; i++) counts[stored.cluster[i] + 1]++;
    for (let c = 0; c < k; c++) counts[c + 1] += counts[c];
    const centres = new Float64Array(k * p);
    for (let i = 0; i < rows; i++) {
      const c = stored.cluster[i];
      for (let j = 0; j < p; j++) centres[c * p + j] += proj[i * p + j];
    }
    // Centres rounded to fp32: any point serves the triangle inequality, and the SIMD scan then reads the same
    // centres as this code (its distances to them differ only by its fp32 sums, which it bounds).
    for (let c = 0; c < k; c++) {
      const n = counts[c + 1] - counts[c];
      for (let j = 0; j < p; j++) centres[c * p + j] = Math.fround(centres[c * p + j] / Math.max(1, n));
    }
    const dist = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const c = stored.cluster[i];
      let s = 0;
      for (let j = 0; j < p; j++) {
        const t = proj[i * p + j] - centres[c * p + j];
        s += t * t;
      }
      dist[i] = Math.sqrt(s);
    }
    // Members of a cluster farthest from its centre first: the bound |q - c| - |b - c| then grows along the run.
    const order = Uint32Array.from({ length: rows }, (_, i) => i).sort((a, b) => stored.cluster[a] - stored.cluster[b] || dist[b] - dist[a] || a - b);
    this.order = order;
    this.projected = new Float32Array(rows * p);
    this.toCentre = new Float64Array(rows);
    this.radii = new Float64Array(k);
    for (let pos = 0; pos < rows; pos++) {
      const i = order[pos];
      this.projected.set(proj.subarray(i * p, (i + 1) * p), pos * p);
      this.toCentre[pos] = dist[i];
      const c = stored.cluster[i];
      if (dist[i] > this.radii[c]) this.radii[c] = dist[i];
    }
    this.starts = counts;
    this.centres = centres;
    this.k = k;
  }

  /** Builds the index of a bank; null when the bank is too small for one to pay (search it by brute force). */
  static build(bank: Matrix, opts: BankIndexOptions = {}): BankIndex | null {
    if (bank.rows < MIN_INDEXED_ROWS || bank.cols < MIN_INDEXED_COLS) return null;
    const seed = opts.seed ?? 0;
    // A multiple of 8: the search reads the first 8 axes unrolled and checks its bound every 8 after that.
    const p = Math.max(8, Math.min(opts.axes ?? DEFAULT_AXES, bank.cols) & ~7);
    const axes = principalAxes(bank, p, seed);
    const proj = projectRows(bank, axes, p);
    const k = Math.max(1, Math.min(bank.rows, opts.clusters ?? Math.round(Math.sqrt(bank.rows))));
    const cluster = kMeans(proj, bank.rows, p, k, seed);
    return new BankIndex(bank, { version: BANK_INDEX_VERSION, rows: bank.rows, cols: bank.cols, checksum: bankChecksum(bank), axes, cluster });
  }

  /**
   * The index of a bank from what was stored with it; null when it does not belong to this bank (another version,
   * shape or checksum) or is malformed, so the caller rebuilds it. A stored index is never trusted blindly.
   */
  static restore(bank: Matrix, stored: StoredBankIndex): BankIndex | null {
    const { rows, cols } = bank;
    if (stored.version !== BANK_INDEX_VERSION || stored.rows !== rows || stored.cols !== cols) return null;
    if (!(stored.axes instanceof Float32Array) || !(stored.cluster instanceof Uint32Array)) return null;
    const p = stored.axes.length / cols;
    if (!Number.isInteger(p) || p < 8 || p % 8 !== 0 || p > cols || stored.cluster.length !== rows) return null;
    if (!stored.axes.every(Number.isFinite) || stored.cluster.some((c) => c >= rows)) return null;
    if (!orthonormal(stored.axes, p, cols)) return null;
    if (stored.checksum !== bankChecksum(bank)) return null;
    return new BankIndex(bank, stored);
  }

  /** The scan a search with this choice uses (null: the TypeScript loop). */
  scanFor(choice: ScanChoice = 'auto', rowsMaxBytes?: number): BlockScan | null {
    const flavour = choice === 'auto' ? bestScan() : choice === 'none' ? null : choice;
    if (!flavour || this.p < SCAN_AXES) return null;
    const key = rowsMaxBytes === undefined ? flavour : `${flavour}:${rowsMaxBytes}`;
    let sc = this.scans.get(key);
    if (!sc) {
      const members = { starts: this.starts, radii: this.radii, toCentre: this.toCentre };
      sc = new BlockScan(flavour, this.projected, this.p, this.bank, this.centres, this.k, members, rowsMaxBytes);
      this.scans.set(key, sc);
    }
    return sc;
  }

  /**
   * Exact 1-NN of every query row, as knn.ts's `nearest` answers it (same distances, same indices, ties to the lowest
   * index). `gridW`: queries are a row-major grid this wide, so the patch above seeds the search too.
   */
  nearest(queries: Matrix, opts: NearestOptions = {}): NearestResult {
    const d = queries.cols;
    if (this.bank.cols !== d) throw new Error(`Queries have ${d} dimensions but the memory bank has ${this.bank.cols}`);
    const nq = queries.rows;
    const gridW = opts.gridW ?? 0;
    const distances = new Float32Array(nq);
    const indices = new Uint32Array(nq);
    const stats: SearchStats = { queries: nq, projected: 0, measured: 0, bruteForce: nq * this.bank.rows };
    const qp = projectRows(queries, this.stored.axes, this.p);
    const s = new Search(this, stats, this.scanFor(opts.scan, opts.scanRowsMaxBytes));
    for (let q = 0; q < nq; q++) {
      s.reset(queries.data, q * d, qp, q * this.p, 1);
      if (q > 0) s.consider(indices[q - 1]);
      if (gridW > 0 && q >= gridW) s.consider(indices[q - gridW]);
      s.run();
      indices[q] = s.idx[0];
      distances[q] = Math.sqrt(Math.max(0, s.qn + s.vals[0]));
    }
    this.lastStats = stats;
    return { distances, indices };
  }

  /** The k nearest bank rows of one query, as knn.ts's `kNearest` answers it (ascending, ties by lower index). */
  kNearest(query: Float32Array, k: number, scan: ScanChoice = 'auto'): NearestResult {
    const d = this.bank.cols;
    if (query.length < d) throw new Error(`The query has ${query.length} dimensions but the memory bank has ${d}`);
    const kk = Math.max(0, Math.min(k, this.bank.rows));
    if (kk === 0) return { distances: new Float32Array(0), indices: new Uint32Array(0) };
    const q = query.length === d ? query : query.subarray(0, d);
    const qp = projectRows({ data: q, rows: 1, cols: d }, this.stored.axes, this.p);
    const s = new Search(this, { queries: 1, projected: 0, measured: 0, bruteForce: this.bank.rows }, this.scanFor(scan));
    s.reset(q, 0, qp, 0, kk);
    s.run();
    const distances = new Float32Array(kk);
    for (let i = 0; i < kk; i++) distances[i] = Math.sqrt(Math.max(0, s.qn + s.vals[i]));
    return { distances, indices: s.idx.slice(0, kk) };
  }
}

/**
 * One query's search (reused across queries): the `want` best candidates by the twin's value |b|^2 - 2 q.b, kept
 * sorted with ties by lower index, and the pruning bound derived from the worst of them.
 */
class Search {
  qn = 0;
  readonly vals: Float64Array;
  readonly idx: Uint32Array;
  private want = 1;
  private Q!: Float32Array;
  private qo = 0;
  private qp!: Float64Array;
  private qpo = 0;
  private margin = 0;
  /** Pruning bound on the distance: the current worst kept distance plus the margin (Infinity until full). */
  private bound = Infinity;
  private readonly centreDist: Float64Array;
  /** The SIMD path's upper ends of the centre distances (centreDist holds the lower ends there). */
  private readonly centreDistHi: Float64Array;
  private readonly visit: Uint32Array;
  private readonly visitKey: Float64Array;
  private readonly seen: Uint8Array;
  private readonly touched: Uint32Array;
  private nTouched = 0;
  private readonly B: Float32Array;
  private readonly d: number;

  constructor(
    private readonly ix: BankIndex,
    private readonly stats: SearchStats,
    private readonly scan: BlockScan | null,
  ) {
    const k = ix.k;
    this.centreDist = new Float64Array(k);
    this.centreDistHi = new Float64Array(k);
    this.visit = new Uint32Array(k);
    this.visitKey = new Float64Array(k);
    this.vals = new Float64Array(ix.bank.rows + 1);
    this.idx = new Uint32Array(ix.bank.rows + 1);
    this.seen = new Uint8Array(ix.bank.rows);
    this.touched = new Uint32Array(ix.bank.rows);
    this.B = ix.bank.data;
    this.d = ix.bank.cols;
  }

  reset(Q: Float32Array, qo: number, qp: Float64Array, qpo: number, want: number): void {
    this.Q = Q;
    this.qo = qo;
    this.qp = qp;
    this.qpo = qpo;
    this.want = want;
    let qn = 0;
    for (let j = 0; j < this.d; j++) qn += Q[qo + j] * Q[qo + j];
    this.qn = qn;
    this.margin = MARGIN * (Math.sqrt(qn) + this.ix.maxNorm);
    for (let i = 0; i < want; i++) {
      this.vals[i] = Infinity;
      this.idx[i] = 0xffffffff;
    }
    for (let i = 0; i < this.nTouched; i++) this.seen[this.touched[i]] = 0;
    this.nTouched = 0;
    this.bound = Infinity;
  }

  private updateBound(): void {
    const worst = this.vals[this.want - 1];
    if (worst === Infinity) return;
    const dist = Math.sqrt(Math.max(0, this.qn + worst));
    this.bound = dist + this.margin + MARGIN * dist;
  }

  /** Scores bank row r exactly as knn.ts does and keeps it if it is among the best. */
  private score(r: number): void {
    const { B, Q, qo, d } = this;
    const bo = r * d;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += Q[qo + j] * B[bo + j];
    const v = this.ix.norms[r] - 2 * dot;
    const w = this.want;
    const vals = this.vals, idx = this.idx;
    if (v > vals[w - 1] || (v === vals[w - 1] && r > idx[w - 1])) return;
    let p = w - 1;
    while (p > 0 && (vals[p - 1] > v || (vals[p - 1] === v && idx[p - 1] > r))) {
      vals[p] = vals[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    vals[p] = v;
    idx[p] = r;
    this.updateBound();
  }

  /** A candidate from outside the search order (a grid neighbour's answer): scored at once, once. */
  consider(r: number): void {
    if (this.seen[r]) return;
    this.seen[r] = 1;
    this.touched[this.nTouched++] = r;
    this.score(r);
  }

  /**
   * Full distance in the original space with early exit; scores the row when it may be among the best. A row already
   * scored as a grid neighbour's answer (consider()) is not measured again.
   */
  private measure(r: number): void {
    if (this.seen[r]) return;
    this.stats.measured++;
    if (this.scan?.hasRows) {
      if (this.scan.within(r, this.bound * this.bound)) this.score(r);
      return;
    }
    const { B, Q, qo, d } = this;
    const bo = r * d;
    const b2 = this.bound * this.bound;
    let s = 0;
    let j = 0;
    while (j < d) {
      const end = Math.min(d, j + EXIT_STRIDE);
      for (; j < end; j++) {
        const t = Q[qo + j] - B[bo + j];
        s += t * t;
      }
      if (s > b2) return;
    }
    this.score(r);
  }

  run(): void {
    if (this.scan) {
      if (this.bound < Infinity && this.scan.hasRuns) this.runSeeded(this.scan);
      else this.runScan(this.scan);
      return;
    }
    const ix = this.ix;
    const k = ix.k, p = ix.p;
    const C = ix.centres, radii = ix.radii, starts = ix.starts;
    const P = ix.projected, toCentre = ix.toCentre, order = ix.order;
    const qp = this.qp, qpo = this.qpo;
    const cd = this.centreDist, visit = this.visit, key = this.visitKey;
    // Clusters that may hold a winner, nearest lower bound first (insertion sort: few survive a tight bound).
    let nv = 0;
    for (let c = 0; c < k; c++) {
      const co = c * p;
      const lim = this.bound + radii[c];
      const lim2 = lim * lim;
      let s = 0;
      let j = 0;
      for (; j < p; j++) {
        const t = qp[qpo + j] - C[co + j];
        s += t * t;
        if ((j & 7) === 7 && s > lim2) break;
      }
      if (j < p) continue;
      const dc = Math.sqrt(s);
      cd[c] = dc;
      insertVisit(key, visit, nv++, dc - radii[c], c);
    }
    // The first 8 projected coordinates of the query in registers: most candidates are decided by them.
    const q0 = qp[qpo], q1 = qp[qpo + 1], q2 = qp[qpo + 2], q3 = qp[qpo + 3];
    const q4 = qp[qpo + 4], q5 = qp[qpo + 5], q6 = qp[qpo + 6], q7 = qp[qpo + 7];
    let projected = 0;
    for (let v = 0; v < nv; v++) {
      let bound = this.bound;
      if (key[v] > bound) break;
      const c = visit[v];
      const dc = cd[c];
      let b2 = bound * bound;
      for (let pos = starts[c], end = starts[c + 1]; pos < end; pos++) {
        const m = toCentre[pos];
        // Members are sorted by m descending: once dc - m passes the bound, it does for the rest too.
        if (dc - m > bound) break;
        if (m - dc > bound) continue;
        projected++;
        const po = pos * p;
        const t0 = q0 - P[po], t1 = q1 - P[po + 1], t2 = q2 - P[po + 2], t3 = q3 - P[po + 3];
        const t4 = q4 - P[po + 4], t5 = q5 - P[po + 5], t6 = q6 - P[po + 6], t7 = q7 - P[po + 7];
        let s = t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3 + t4 * t4 + t5 * t5 + t6 * t6 + t7 * t7;
        if (s > b2) continue;
        for (let j = 8; j < p; j += 8) {
          const e = Math.min(p, j + 8);
          for (let i = j; i < e; i++) {
            const t = qp[qpo + i] - P[po + i];
            s += t * t;
          }
          if (s > b2) break;
        }
        if (s > b2) continue;
        this.measure(order[pos]);
        bound = this.bound;
        b2 = bound * bound;
      }
    }
    this.stats.projected += projected;
  }

  /**
   * run() with its two loops in SIMD (../wasm/scan.wat). The query's distance to every cluster centre comes from
   * one scan over the centres; as it is summed in fp32, each is kept as an interval [lo, hi] that holds the double
   * sum run() would compute, and every test uses the end that prunes less. Then per cluster the members the triangle
   * inequality leaves (|m - dc| <= bound is one run, as members are sorted by m descending) are scanned in every
   * projected axis against the bound at the cluster's start, and the rows kept go on to measure(). A bound that
   * tightens mid-cluster only prunes less than run() would: the answer is the same.
   */
  private runScan(sc: BlockScan): void {
    const ix = this.ix, k = ix.k;
    const radii = ix.radii, starts = ix.starts, toCentre = ix.toCentre, order = ix.order;
    const cdLo = this.centreDist, cdHi = this.centreDistHi, visit = this.visit, key = this.visitKey;
    const keptPos = sc.keptPos, keptSum = sc.keptSum;
    sc.setQuery(this.qp, this.qpo, this.Q, this.qo);
    const sums = sc.centreSums();
    const slack = sc.scanSlack, bound0 = this.bound;
    let nv = 0;
    for (let c = 0; c < k; c++) {
      const lim = bound0 + radii[c];
      const s = sums[2 * c + 1];
      if (s > lim * lim * slack) continue;
      const lo = Math.sqrt(s / slack);
      cdLo[c] = lo;
      cdHi[c] = lo * slack; // sqrt(s * slack)
      insertVisit(key, visit, nv++, lo - radii[c], c);
    }
    let projected = 0;
    for (let v = 0; v < nv; v++) {
      let bound = this.bound;
      if (key[v] > bound) break;
      const c = visit[v];
      const first = runStart(toCentre, starts[c], starts[c + 1], cdHi[c], bound);
      const end = runEnd(toCentre, first, starts[c + 1], cdLo[c], bound);
      if (first >= end) continue;
      projected += end - first;
      let b2 = bound * bound;
      const kept = sc.scan(first, end, b2);
      let lim = sc.widen(b2);
      for (let i = 0; i < kept; i++) {
        const pos = keptPos[2 * i];
        if (pos < first || pos >= end || keptSum[2 * i + 1] > lim) continue;
        this.measure(order[pos]);
        if (this.bound !== bound) {
          bound = this.bound;
          b2 = bound * bound;
          lim = sc.widen(b2);
        }
      }
    }
    this.stats.projected += projected;
  }

  /**
   * runScan() for a query that already has a bound (its grid neighbours' answers): every cluster's run is scanned at
   * that bound in one call into the scan (BlockScan.runs), and the rows kept are measured, the nearest in the
   * projected axes first, then the rest in order while they may still win. The bound does not tighten during the
   * scan, so it scans more rows than runScan() would; in exchange there is no work per cluster out here.
   */
  private runSeeded(sc: BlockScan): void {
    sc.setQuery(this.qp, this.qpo, this.Q, this.qo);
    const kept = sc.runs(this.bound);
    this.stats.projected += sc.lastScanned;
    const keptPos = sc.keptPos, keptSum = sc.keptSum, order = this.ix.order;
    let best = 0;
    for (let i = 1; i < kept; i++) if (keptSum[2 * i + 1] < keptSum[2 * best + 1]) best = i;
    let bound = this.bound;
    let lim = sc.widen(bound * bound);
    for (let n = 0; n < kept; n++) {
      const i = n === 0 ? best : n <= best ? n - 1 : n;
      if (keptSum[2 * i + 1] > lim) continue;
      this.measure(order[keptPos[2 * i]]);
      if (this.bound !== bound) {
        bound = this.bound;
        lim = sc.widen(bound * bound);
      }
    }
  }
}

/** Cluster c with lower bound lb into the first n entries of the visit order, kept sorted by bound (insertion sort: few survive a tight bound). */
function insertVisit(key: Float64Array, visit: Uint32Array, n: number, lb: number, c: number): void {
  let at = n;
  while (at > 0 && key[at - 1] > lb) {
    key[at] = key[at - 1];
    visit[at] = visit[at - 1];
    at--;
  }
  key[at] = lb;
  visit[at] = c;
}

/** Rows projected onto `p` axes (p x cols, row-major), in double: rows x p. Register-blocked like knn.ts. */
function projectRows(m: Matrix, axes: Float32Array, p: number): Float64Array {
  const { data, rows, cols } = m;
  const out = new Float64Array(rows * p);
  const s = new Float64Array(16);
  for (let r = 0; r < rows; r += 4) {
    const ra = r, rb = Math.min(r + 1, rows - 1), rc = Math.min(r + 2, rows - 1), rd = Math.min(r + 3, rows - 1);
    for (let a = 0; a < p; a += 4) {
      const aa = a, ab = Math.min(a + 1, p - 1), ac = Math.min(a + 2, p - 1), ad = Math.min(a + 3, p - 1);
      dot4x4(data, ra * cols, rb * cols, rc * cols, rd * cols, axes, aa * cols, ab * cols, ac * cols, ad * cols, cols, s);
      // Repeated (padding) rows and axes write the same value twice; in reverse so the real slot's value stays.
      for (let i = 3; i >= 0; i--) {
        const o = (i === 0 ? ra : i === 1 ? rb : i === 2 ? rc : rd) * p;
        out[o + ad] = s[4 * i + 3];
        out[o + ac] = s[4 * i + 2];
        out[o + ab] = s[4 * i + 1];
        out[o + aa] = s[4 * i];
      }
    }
  }
  return out;
}

/**
 * The leading `p` principal axes of the bank (rows of a p x cols matrix, orthonormal in double, then fp32), by
 * block power iteration on the covariance of a sample of rows, ordered by the variance along them.
 */
function principalAxes(bank: Matrix, p: number, seed: number): Float32Array {
  const { data, rows, cols } = bank;
  const sample = rows > COVARIANCE_SAMPLE ? startIndices(seed ^ 0x5bd1e995, rows, COVARIANCE_SAMPLE) : Uint32Array.from({ length: rows }, (_, i) => i);
  const n = sample.length;
  const mean = new Float64Array(cols);
  for (const r of sample) for (let j = 0; j < cols; j++) mean[j] += data[r * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= n;
  const cov = new Float64Array(cols * cols);
  const x = new Float64Array(cols);
  for (const r of sample) {
    for (let j = 0; j < cols; j++) x[j] = data[r * cols + j] - mean[j];
    for (let a = 0; a < cols; a++) {
      const xa = x[a];
      const o = a * cols;
      for (let b = a; b < cols; b++) cov[o + b] += xa * x[b];
    }
  }
  for (let a = 0; a < cols; a++) for (let b = a; b < cols; b++) cov[b * cols + a] = cov[a * cols + b];

  const rand = rng(seed ^ 0x27d4eb2f);
  let V = Float64Array.from({ length: p * cols }, () => rand() - 0.5);
  orthonormalise(V, p, cols);
  const W = new Float64Array(p * cols);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    W.fill(0);
    for (let i = 0; i < p; i++) {
      const vo = i * cols;
      for (let a = 0; a < cols; a++) {
        const va = V[vo + a];
        if (va === 0) continue;
        const o = a * cols;
        for (let b = 0; b < cols; b++) W[vo + b] += va * cov[o + b];
      }
    }
    V.set(W);
    orthonormalise(V, p, cols);
  }
  // Order by the variance along each axis, so the early exits meet the largest terms first.
  const variance = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let a = 0; a < cols; a++) {
      let t = 0;
      for (let b = 0; b < cols; b++) t += cov[a * cols + b] * V[i * cols + b];
      s += V[i * cols + a] * t;
    }
    variance[i] = s;
  }
  const rank = Array.from({ length: p }, (_, i) => i).sort((a, b) => variance[b] - variance[a]);
  const out = new Float32Array(p * cols);
  rank.forEach((i, to) => {
    for (let a = 0; a < cols; a++) out[to * cols + a] = V[i * cols + a];
  });
  V = new Float64Array(0);
  return out;
}

/** Modified Gram-Schmidt, twice (one pass loses orthogonality on nearly dependent rows); a zero row gets a unit vector. */
function orthonormalise(V: Float64Array, p: number, cols: number): void {
  // Unit vectors tried in turn for degenerate rows; p <= cols, so some e_j is always outside the span of the others.
  let nextUnit = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < p; i++) {
      const io = i * cols;
      for (let k = 0; k < i; k++) {
        const ko = k * cols;
        let dot = 0;
        for (let a = 0; a < cols; a++) dot += V[io + a] * V[ko + a];
        for (let a = 0; a < cols; a++) V[io + a] -= dot * V[ko + a];
      }
      let n = 0;
      for (let a = 0; a < cols; a++) n += V[io + a] * V[io + a];
      n = Math.sqrt(n);
      if (n < 1e-6) {
        // Degenerate (a rank-deficient covariance, e.g. constant columns): any direction orthogonal to the others
        // will do; try the next unit vector.
        if (nextUnit >= 2 * cols) throw new Error('The principal axes of the memory bank could not be made orthonormal');
        for (let a = 0; a < cols; a++) V[io + a] = a === nextUnit % cols ? 1 : 0;
        nextUnit++;
        i--;
        continue;
      }
      for (let a = 0; a < cols; a++) V[io + a] /= n;
    }
  }
}

/** Whether p rows of fp32 values are orthonormal to within fp32 rounding (a stored index's axes must be). */
function orthonormal(axes: Float32Array, p: number, cols: number): boolean {
  const tol = 1e-5;
  for (let i = 0; i < p; i++) {
    for (let k = i; k < p; k++) {
      let dot = 0;
      for (let a = 0; a < cols; a++) dot += axes[i * cols + a] * axes[k * cols + a];
      if (Math.abs(dot - (i === k ? 1 : 0)) > tol) return false;
    }
  }
  return true;
}

/** Lloyd's k-means on the projected rows (rows x p), seeded start rows; returns each row's cluster (empty ones dropped). */
function kMeans(X: Float64Array, rows: number, p: number, k: number, seed: number): Uint32Array {
  const start = startIndices(seed ^ 0x165667b1, rows, k);
  let kk = start.length;
  const C = new Float64Array(kk * p);
  start.forEach((r, c) => C.set(X.subarray(r * p, (r + 1) * p), c * p));
  const assign = new Uint32Array(rows);
  const counts = new Uint32Array(kk);
  for (let it = 0; it <= KMEANS_ITERATIONS; it++) {
    for (let r = 0; r < rows; r++) {
      let best = Infinity, bi = 0;
      const ro = r * p;
      for (let c = 0; c < kk; c++) {
        const co = c * p;
        let s = 0;
        for (let j = 0; j < p && s < best; j++) {
          const t = X[ro + j] - C[co + j];
          s += t * t;
        }
        if (s < best) { best = s; bi = c; }
      }
      assign[r] = bi;
    }
    if (it === KMEANS_ITERATIONS) break;
    const sum = new Float64Array(kk * p);
    counts.fill(0);
    for (let r = 0; r < rows; r++) {
      const c = assign[r];
      counts[c]++;
      for (let j = 0; j < p; j++) sum[c * p + j] += X[r * p + j];
    }
    // An empty cluster keeps its old centre: it may win rows back next round.
    for (let c = 0; c < kk; c++) if (counts[c] > 0) for (let j = 0; j < p; j++) C[c * p + j] = sum[c * p + j] / counts[c];
  }
  // Renumber densely, dropping empty clusters.
  counts.fill(0);
  for (let r = 0; r < rows; r++) counts[assign[r]]++;
  const remap = new Uint32Array(kk);
  let next = 0;
  for (let c = 0; c < kk; c++) remap[c] = counts[c] > 0 ? next++ : 0;
  kk = next;
  for (let r = 0; r < rows; r++) assign[r] = remap[assign[r]];
  return assign;
}

/** Queries the index answers first in a call while it is the faster path, timed against the brute force's pace. */
const PROBE_ROWS = 512;
/** Queries it answers first while the brute force is faster: enough to notice when the index starts to pay. */
const RECHECK_ROWS = 64;
/**
 * While the index is more than FAR_BEHIND times slower per query, it is rechecked only every RECHECK_EVERY calls
 * (the calls between go to the brute force whole): a bank where nothing prunes would otherwise pay the recheck on
 * every image (10-30% on uniform random vectors with the SIMD loops).
 */
const FAR_BEHIND = 4;
const RECHECK_EVERY = 8;

/**
 * The index where it pays, a kernel's brute force where it does not. Each call's first queries go through the index
 * and are timed (PROBE_ROWS of them, RECHECK_ROWS while the brute force is ahead); the brute force is timed once, on
 * the next block, the first time it is needed. The rest of the call goes to whichever was faster per query on this
 * bank. On clustered features the index wins by far; on uniform random vectors it cannot prune and is several times
 * slower than the brute force, which then does nearly all the work (and, far behind, all of it between rechecks).
 * Both give the nearest memory vector, so the choice changes speed only. With a search team (searchTeam.ts) the
 * index's part of a call is split over the team's threads; a probe of one grid row is too small to split, so it
 * times one thread against the brute force's several, which only ever favours the brute force.
 */
export class AdaptiveNearest {
  /** ms per query of each path on this bank, as last measured (NaN: not yet). */
  indexMsPerQuery = NaN;
  bruteMsPerQuery = NaN;
  /** Queries the last call sent to each path. */
  lastSplit = { index: 0, brute: 0 };
  /** Calls sent whole to the brute force since the index was last timed. */
  private skipped = 0;

  constructor(
    readonly index: BankIndex,
    private readonly brute: (queries: Matrix) => Promise<NearestResult>,
    /** Threads that search shares of the index's calls beside this one (searchTeam.ts); null: this thread alone. */
    private readonly team: SearchTeam | null = null,
  ) {
    team?.adopt(index);
  }

  private indexed(queries: Matrix, gridW: number): Promise<NearestResult> {
    return teamNearest(this.index, this.team, queries, gridW);
  }

  async nearest(queries: Matrix, gridW = 0): Promise<NearestResult> {
    const nq = queries.rows, d = queries.cols;
    const rows = (a: number, b: number): Matrix => ({ data: queries.data.subarray(a * d, b * d), rows: b - a, cols: d });
    const behind = this.indexMsPerQuery > this.bruteMsPerQuery;
    if (this.indexMsPerQuery > FAR_BEHIND * this.bruteMsPerQuery && this.skipped < RECHECK_EVERY - 1) {
      this.skipped++;
      const t = performance.now();
      const all = await this.brute(queries);
      this.bruteMsPerQuery = (performance.now() - t) / nq;
      this.lastSplit = { index: 0, brute: nq };
      return all;
    }
    this.skipped = 0;
    const want = behind ? RECHECK_ROWS : PROBE_ROWS;
    // Whole grid rows where it can, so that the patch above seeds the search in the rest of the call too.
    const probe = Math.min(nq, gridW > 0 && !behind ? Math.ceil(want / gridW) * gridW : want);
    if (probe >= nq && !behind) {
      this.lastSplit = { index: nq, brute: 0 };
      return this.indexed(queries, gridW);
    }
    const distances = new Float32Array(nq);
    const indices = new Uint32Array(nq);
    const put = (at: number, r: NearestResult) => {
      distances.set(r.distances, at);
      indices.set(r.indices, at);
    };
    let t = performance.now();
    put(0, await this.indexed(rows(0, probe), gridW));
    this.indexMsPerQuery = (performance.now() - t) / probe;
    let done = probe;
    if (Number.isNaN(this.bruteMsPerQuery) && done < nq) {
      const end = Math.min(nq, 2 * probe);
      t = performance.now();
      put(done, await this.brute(rows(done, end)));
      this.bruteMsPerQuery = (performance.now() - t) / (end - done);
      done = end;
    }
    const useIndex = !(this.indexMsPerQuery > this.bruteMsPerQuery);
    if (done < nq) {
      t = performance.now();
      put(done, await (useIndex ? this.indexed(rows(done, nq), gridW) : this.brute(rows(done, nq))));
      // The brute force's pace, kept current whenever it runs a block of its own.
      if (!useIndex) this.bruteMsPerQuery = (performance.now() - t) / (nq - done);
    }
    this.lastSplit = useIndex ? { index: nq - (done - probe), brute: done - probe } : { index: probe, brute: nq - probe };
    return { distances, indices };
  }
}

/** 1-NN through the index when the bank has one, else brute force: the same answer either way. */
export function nearestWith(index: BankIndex | null, queries: Matrix, bank: Matrix, gridW = 0): NearestResult {
  return index ? index.nearest(queries, { gridW }) : bruteNearest(queries, bank);
}

/** The k nearest through the index when the bank has one, else brute force: the same answer either way. */
export function kNearestWith(index: BankIndex | null, query: Float32Array, bank: Matrix, k: number): NearestResult {
  return index ? index.kNearest(query, k) : bruteKNearest(query, bank, k);
}
