// Greedy coreset subsampling (sec. 3.2, Algorithm 1) as the authors' ApproximateGreedyCoresetSampler runs it:
// seeded random projection, running min-distance initialised with the mean distance to a few random points,
// then `count` farthest-first steps. The fast path returns exactly the indices of the naive loop.
import { projectionMatrix, startIndices } from '../random';
import type { CoresetOptions, Matrix } from '../types';
import { dot4x4 } from './dot';

/*
 * Distance semantics (the WGSL twin mirrors these):
 * - Distances are computed directly, d(a, b) = sqrt(sum_k (a_k - b_k)^2), never in the expanded |a|^2 - 2ab + |b|^2
 *   form, so d(x, x) = 0 and nearby points keep their precision. The CPU sums in double with four interleaved
 *   accumulators (k mod 4, combined as (s0 + s1) + (s2 + s3)), takes sqrt, and rounds the distance to fp32.
 * - The running min-distance is stored as that fp32 distance (not squared). Initial value of every point: the
 *   mean of its fp32 distances to the start points (summed in double, divided by their count, rounded to fp32);
 *   no start points means +Infinity.
 * - Each step selects the largest running min-distance, the lowest point index on ties, and replaces a point's
 *   value only when the new fp32 distance is strictly smaller. Selected points may be selected again once every
 *   value is 0 (duplicates), exactly like the authors' loop.
 */

/** The farthest-first loop checks the clock at most every step; it reports and yields on these intervals. */
const PROGRESS_MS = 100;
const YIELD_MS = 50;
/** Pivot centres whose distances give a cheap lower bound on centre-centre distances (LAESA-style). */
const PIVOTS = 4;
/** Relative safety margins of the pruning tests; fp32 rounding of the stored distances is ~6e-8 relative. */
const PRUNE_TOL = 1e-5;
const PIVOT_TOL = 1e-6;

type Clock = () => number;
const clock: Clock = () => performance.now();

/** Lets a Web Worker see cancel messages between chunks of work. */
function nextTick(): Promise<void> {
  const g = globalThis as unknown as {
    scheduler?: { yield?: () => Promise<void> };
    setImmediate?: (f: () => void) => unknown;
  };
  if (g.scheduler?.yield) return g.scheduler.yield();
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => setTimeout(r, 0));
}

/** Rows r0..r1 of features @ P into out (rows x P.cols), 4 rows x 4 output columns at a time (dot4x4). */
export function projectRows(features: Matrix, pt: Float32Array, outDim: number, r0: number, r1: number, out: Float32Array): void {
  const d = features.cols, A = features.data;
  const last = features.rows - 1;
  const s = new Float64Array(16);
  for (let r = r0; r < r1; r += 4) {
    const ra = r, rb = Math.min(r + 1, last), rc = Math.min(r + 2, last), rd = Math.min(r + 3, last);
    const a0 = ra * d, a1 = rb * d, a2 = rc * d, a3 = rd * d;
    for (let c = 0; c < outDim; c += 4) {
      const ca = c, cb = Math.min(c + 1, outDim - 1), cc = Math.min(c + 2, outDim - 1), cd = Math.min(c + 3, outDim - 1);
      dot4x4(A, a0, a1, a2, a3, pt, ca * d, cb * d, cc * d, cd * d, d, s);
      // Padding lanes repeat the last row / column and so write the same value twice.
      const o0 = ra * outDim, o1 = rb * outDim, o2 = rc * outDim, o3 = rd * outDim;
      out[o0 + ca] = s[0]; out[o0 + cb] = s[1]; out[o0 + cc] = s[2]; out[o0 + cd] = s[3];
      out[o1 + ca] = s[4]; out[o1 + cb] = s[5]; out[o1 + cc] = s[6]; out[o1 + cd] = s[7];
      out[o2 + ca] = s[8]; out[o2 + cb] = s[9]; out[o2 + cc] = s[10]; out[o2 + cd] = s[11];
      out[o3 + ca] = s[12]; out[o3 + cb] = s[13]; out[o3 + cc] = s[14]; out[o3 + cd] = s[15];
    }
  }
}

export function transpose(P: Matrix): Float32Array {
  const t = new Float32Array(P.rows * P.cols);
  for (let i = 0; i < P.rows; i++) for (let j = 0; j < P.cols; j++) t[j * P.rows + i] = P.data[i * P.cols + j];
  return t;
}

/** features (n x d) @ P (d x k): the random projection of the coreset distances. */
export function project(features: Matrix, P: Matrix): Matrix {
  if (P.rows !== features.cols) throw new Error(`Projection expects ${P.rows} dimensions, features have ${features.cols}`);
  const out = new Float32Array(features.rows * P.cols);
  projectRows(features, transpose(P), P.cols, 0, features.rows, out);
  return { data: out, rows: features.rows, cols: P.cols };
}

/** Squared L2 distance between rows at offsets a and b of X (double, four accumulators). */
export function sqDist(X: Float32Array, a: number, b: number, d: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 4 <= d; k += 4) {
    const t0 = X[a + k] - X[b + k], t1 = X[a + k + 1] - X[b + k + 1];
    const t2 = X[a + k + 2] - X[b + k + 2], t3 = X[a + k + 3] - X[b + k + 3];
    s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
  }
  for (; k < d; k++) {
    const t = X[a + k] - X[b + k];
    s0 += t * t;
  }
  return (s0 + s1) + (s2 + s3);
}

/**
 * sqDist with early exit: returns the exact same value when it is below `limit`, otherwise some partial sum
 * >= limit. Partial sums of non-negative terms never exceed the full sum, so the exit never changes a decision.
 */
function sqDistBelow(X: Float32Array, a: number, b: number, d: number, limit: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  while (k + 4 <= d) {
    const stop = Math.min(d - ((d - k) % 4), k + 32);
    for (; k < stop; k += 4) {
      const t0 = X[a + k] - X[b + k], t1 = X[a + k + 1] - X[b + k + 1];
      const t2 = X[a + k + 2] - X[b + k + 2], t3 = X[a + k + 3] - X[b + k + 3];
      s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
    }
    const partial = (s0 + s1) + (s2 + s3);
    if (partial >= limit) return partial;
  }
  for (; k < d; k++) {
    const t = X[a + k] - X[b + k];
    s0 += t * t;
  }
  return (s0 + s1) + (s2 + s3);
}

/** The fp32 distance stored in the running min-distance. */
function dist32(X: Float32Array, a: number, b: number, d: number): number {
  return Math.fround(Math.sqrt(sqDist(X, a, b, d)));
}

/** Initial running min-distance of row r: the mean fp32 distance to the start points (+Infinity if none). */
function initialDistance(X: Matrix, starts: Uint32Array, r: number): number {
  const { cols: d, data } = X;
  if (starts.length === 0) return Infinity;
  let s = 0;
  for (let t = 0; t < starts.length; t++) s += dist32(data, r * d, starts[t] * d, d);
  return s / starts.length;
}

/** The simple O(n * count * d) loop of the authors' sampler; the reference the fast path must match. */
export function naiveGreedyCoreset(features: Matrix, opts: Pick<CoresetOptions, 'count' | 'projectionDim' | 'seed' | 'startPoints'>): Uint32Array {
  const X = opts.projectionDim > 0 ? project(features, projectionMatrix(opts.seed, features.cols, opts.projectionDim)) : features;
  const { rows: n, cols: d, data } = X;
  const count = n === 0 ? 0 : opts.count;
  const starts = startIndices(opts.seed, n, opts.startPoints);
  const minD = Float32Array.from({ length: n }, (_, i) => initialDistance(X, starts, i));
  const out = new Uint32Array(count);
  for (let j = 0; j < count; j++) {
    let sel = 0;
    for (let i = 1; i < n; i++) if (minD[i] > minD[sel]) sel = i;
    out[j] = sel;
    for (let i = 0; i < n; i++) {
      const v = dist32(data, i * d, sel * d, d);
      if (v < minD[i]) minD[i] = v;
    }
  }
  return out;
}

/**
 * An orthonormal basis (d x k, column j at q[j*d ...]) of the k leading principal directions of a subsample of the
 * rows `rowOf(0 .. m-1)`, by subspace iteration. It only feeds a lower bound ||Q^T (x - c)|| <= ||x - c||, which
 * holds for any orthonormal Q, so the result never depends on how well it converged, only the pruning rate does.
 */
function principalBasis(data: Float32Array, d: number, m: number, rowOf: (l: number) => number, mean: Float64Array, k: number): Float64Array {
  const ns = Math.min(m, 2048);
  const step = m / ns;
  const S = new Float64Array(ns * d);
  for (let i = 0; i < ns; i++) {
    const r = rowOf(Math.floor(i * step)) * d;
    for (let j = 0; j < d; j++) S[i * d + j] = data[r + j] - mean[j];
  }
  const q = new Float64Array(k * d);
  const r = (seed: number) => ((Math.sin(seed) * 43758.5453) % 1);
  for (let i = 0; i < q.length; i++) q[i] = r(i + 1);
  const orthonormalise = () => {
    for (let pass = 0; pass < 2; pass++) {
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < a; b++) {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += q[a * d + j] * q[b * d + j];
          for (let j = 0; j < d; j++) q[a * d + j] -= dot * q[b * d + j];
        }
        let nrm = 0;
        for (let j = 0; j < d; j++) nrm += q[a * d + j] * q[a * d + j];
        nrm = Math.sqrt(nrm) || 1;
        for (let j = 0; j < d; j++) q[a * d + j] /= nrm;
      }
    }
  };
  orthonormalise();
  const t = new Float64Array(ns * k);
  for (let it = 0; it < 5; it++) {
    // q <- S^T S q
    for (let i = 0; i < ns; i++) {
      for (let a = 0; a < k; a++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += S[i * d + j] * q[a * d + j];
        t[i * k + a] = s;
      }
    }
    q.fill(0);
    for (let i = 0; i < ns; i++) {
      for (let a = 0; a < k; a++) {
        const w = t[i * k + a];
        for (let j = 0; j < d; j++) q[a * d + j] += w * S[i * d + j];
      }
    }
    orthonormalise();
  }
  // Order the directions by the variance they carry, largest first.
  const variance = new Float64Array(k);
  for (let i = 0; i < ns; i++) {
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += S[i * d + j] * q[a * d + j];
      variance[a] += s * s;
    }
  }
  const order = Array.from({ length: k }, (_, a) => a).sort((a, b) => variance[b] - variance[a]);
  const sorted = new Float64Array(k * d);
  order.forEach((a, i) => sorted.set(q.subarray(a * d, (a + 1) * d), i * d));
  return sorted;
}

/** Dimensions of the principal-subspace lower bound used to skip most exact distances. */
const FILTER_DIM = 16;

/**
 * Algorithm 1's running min-distances over one share of the points, accelerated exactly: rows first,
 * first + stride, first + 2 stride, ... of X (every row when stride is 1). A point's running min-distance depends
 * only on the centres chosen so far, so shares that are told the same centres reproduce one loop over all points:
 * each step's centre is the best of the shares' bests (`bestOf`). Rows are kept by their local number l (global row
 * first + l * stride), which orders them as their global rows do.
 *
 * Pruning: every point belongs to the cluster of the centre that set its running min-distance u (or to a 'virtual'
 * cluster while it still holds its initial mean-of-start-points value). For a new centre c and a member x of
 * cluster j, d(x, c) >= d(c, c_j) - u_x, so x cannot get closer when d(c, c_j) >= 2 u_x: clusters keep their
 * members sorted by u (descending) and only the prefix with 2 u_x > d(c, c_j) is visited; whole clusters drop out
 * when d(c, c_j) >= 2 r_j (r_j = their largest u). The centre-centre distance is first bounded below from distances
 * to a few pivot centres and from a 16-d principal subspace, and visited points pass the same subspace bound before
 * the exact distance. Every skip carries a relative safety margin far above fp32 rounding, so the chosen indices
 * equal `naiveGreedyCoreset`'s. The virtual cluster has no centre and is always scanned. A tournament tree over the
 * clusters' maxima gives the share's argmax.
 */
export class CoresetShare {
  /** Rows in this share. */
  readonly size: number;
  private readonly data: Float32Array;
  private readonly d: number;
  private readonly first: number;
  private readonly stride: number;
  private readonly minD: Float32Array;
  private readonly kf: number;
  private readonly Y: Float32Array;
  private readonly yNorm: Float32Array;
  private q: Float64Array;
  private readonly mean: Float64Array;
  private readonly yc: Float64Array;
  /** Subspace coordinates and norms of the centres, in selection order. */
  private readonly centreY: Float32Array;
  private readonly centreNorm: Float32Array;
  private ycNorm = 0;
  private readonly xc: Float64Array;
  private readonly members: Uint32Array[];
  private readonly sizes: Int32Array;
  private readonly maxVal: Float32Array;
  private readonly maxIdx: Int32Array;
  private readonly centre: Int32Array;
  private readonly leaves: number;
  private readonly tree: Int32Array;
  private readonly pivotD: Float32Array;
  private readonly cPiv = new Float64Array(PIVOTS);
  private nPiv = 0;
  private readonly scratch: Uint32Array;
  private gathered = 0;
  /** Centres added so far. */
  private steps = 0;

  private constructor(X: Matrix, count: number, first: number, stride: number) {
    this.data = X.data;
    this.d = X.cols;
    this.first = first;
    this.stride = stride;
    this.size = first < X.rows ? Math.ceil((X.rows - first) / stride) : 0;
    const m = this.size;
    this.minD = new Float32Array(m);
    this.kf = this.d > 2 * FILTER_DIM ? FILTER_DIM : 0;
    this.Y = new Float32Array(m * this.kf);
    this.yNorm = new Float32Array(this.kf ? m : 0);
    this.q = new Float64Array(0);
    this.mean = new Float64Array(this.d);
    this.yc = new Float64Array(this.kf);
    this.xc = new Float64Array(this.d);
    this.centreY = new Float32Array(count * this.kf);
    this.centreNorm = new Float32Array(this.kf ? count : 0);
    const slots = count + 1;
    this.members = new Array(slots);
    this.sizes = new Int32Array(slots);
    this.maxVal = new Float32Array(slots).fill(-Infinity);
    this.maxIdx = new Int32Array(slots).fill(0x7fffffff);
    this.centre = new Int32Array(count);
    let leaves = 1;
    while (leaves < slots) leaves *= 2;
    this.leaves = leaves;
    this.tree = new Int32Array(2 * leaves).fill(-1);
    this.pivotD = new Float32Array(count * PIVOTS);
    this.scratch = new Uint32Array(m);
  }

  /**
   * The share's initial state: running min-distances from the start points, the principal subspace of its rows.
   * `tick` is awaited every few thousand rows (progress, cancel); `count` is the most centres it will be told.
   */
  static async create(X: Matrix, starts: Uint32Array, count: number, first = 0, stride = 1, tick?: () => Promise<void>): Promise<CoresetShare> {
    const s = new CoresetShare(X, count, first, stride);
    const { data, d, minD, size: m } = s;
    for (let l = 0; l < m; l++) {
      minD[l] = initialDistance(X, starts, s.row(l));
      if ((l & 8191) === 8191) await tick?.();
    }
    if (s.kf && m > 0) {
      const { mean, kf } = s;
      for (let l = 0; l < m; l++) {
        const o = s.row(l) * d;
        for (let j = 0; j < d; j++) mean[j] += data[o + j];
      }
      for (let j = 0; j < d; j++) mean[j] /= m;
      s.q = principalBasis(data, d, m, (l) => s.row(l), mean, kf);
      for (let l = 0; l < m; l++) {
        s.yNorm[l] = s.coordinates(s.row(l), s.Y, l * kf);
        if ((l & 4095) === 4095) await tick?.();
      }
    }
    const mem = new Uint32Array(m);
    for (let l = 0; l < m; l++) mem[l] = l;
    s.members[0] = mem;
    s.sizes[0] = m;
    for (let l = 0; l < m; l++) if (minD[l] > s.maxVal[0]) { s.maxVal[0] = minD[l]; s.maxIdx[0] = l; }
    s.update(0);
    return s;
  }

  /** This share's largest running min-distance (-Infinity when it has no rows). */
  bestValue(): number {
    const t = this.tree[1];
    return t < 0 ? -Infinity : this.maxVal[t];
  }

  /** The global row of that largest value, the lowest on ties (meaningless when bestValue() is -Infinity). */
  bestRow(): number {
    const t = this.tree[1];
    return t < 0 || this.maxIdx[t] === 0x7fffffff ? -1 : this.row(this.maxIdx[t]);
  }

  /** The next centre (a global row of X, in any share): every running min-distance it lowers is updated. */
  add(sel: number): void {
    const j = this.steps++;
    const { data, d, kf, cPiv, pivotD, centre, maxVal, sizes } = this;
    const co = sel * d;
    for (let p = 0; p < this.nPiv; p++) cPiv[p] = Math.sqrt(sqDist(data, co, centre[p] * d, d));
    if (this.nPiv < PIVOTS) {
      for (let i = 0; i < j; i++) pivotD[i * PIVOTS + this.nPiv] = Math.sqrt(sqDist(data, centre[i] * d, co, d));
      cPiv[this.nPiv++] = 0;
    }
    const nPiv = this.nPiv;
    for (let p = 0; p < nPiv; p++) pivotD[j * PIVOTS + p] = cPiv[p];
    centre[j] = sel;
    if (kf) {
      this.ycNorm = this.coordinates(sel, this.yc, 0);
      this.centreY.set(this.yc, j * kf);
      this.centreNorm[j] = this.ycNorm;
    }

    this.gathered = 0;
    if (sizes[0] > 0) this.scanVirtual(co);
    for (let i = 0; i < j; i++) {
      const r = maxVal[i + 1];
      if (!(r > 0)) continue; // empty, or every member already at distance 0
      const lim = 2 * r * (1 + PRUNE_TOL);
      let far = false;
      const po = i * PIVOTS;
      for (let p = 0; p < nPiv; p++) {
        const a = cPiv[p], b = pivotD[po + p];
        if (Math.abs(a - b) - PIVOT_TOL * (a + b) >= lim) { far = true; break; }
      }
      if (far) continue;
      const ci = centre[i];
      if (kf && this.centreBoundReaches(i, lim)) continue;
      const D2 = sqDistBelow(data, co, ci * d, d, lim * lim);
      if (D2 >= lim * lim) continue;
      this.scanCluster(i + 1, co, Math.sqrt(D2));
    }
    // The new cluster, sorted by (u descending, index ascending): its first member is its argmax.
    const mem = this.scratch.slice(0, this.gathered);
    const minD = this.minD;
    mem.sort((a, b) => minD[b] - minD[a] || a - b);
    this.members[j + 1] = mem;
    sizes[j + 1] = this.gathered;
    maxVal[j + 1] = this.gathered > 0 ? minD[mem[0]] : -Infinity;
    this.maxIdx[j + 1] = this.gathered > 0 ? mem[0] : 0x7fffffff;
    this.update(j + 1);
  }

  private row(l: number): number {
    return this.first + l * this.stride;
  }

  /** Principal-subspace coordinates of global row g (rounded to fp32, as stored) into out[at ..]; returns their norm. */
  private coordinates(g: number, out: Float32Array | Float64Array, at: number): number {
    const { data, d, kf, q, mean, xc } = this;
    const o = g * d;
    for (let j = 0; j < d; j++) xc[j] = data[o + j] - mean[j];
    let nn = 0;
    for (let a = 0; a < kf; a++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += xc[j] * q[a * d + j];
      const f = Math.fround(s);
      out[at + a] = f;
      nn += f * f;
    }
    return Math.fround(Math.sqrt(nn));
  }

  /**
   * Whether the subspace lower bound on d(x, c), less a margin covering the fp32 rounding of Y, reaches `limit`
   * (x local). The leading directions carry most of the variance, so most points are settled after the first four.
   */
  private boundReaches(x: number, limit: number): boolean {
    const { Y, yc, kf } = this;
    const need = limit + PIVOT_TOL * (this.yNorm[x] + this.ycNorm);
    const need2 = need * need;
    const o = x * kf;
    let s = 0;
    for (let a = 0; a < 4; a++) {
      const t = Y[o + a] - yc[a];
      s += t * t;
    }
    if (s >= need2) return true;
    for (let a = 4; a < kf; a++) {
      const t = Y[o + a] - yc[a];
      s += t * t;
    }
    return s >= need2;
  }

  /** The same bound between the new centre and the i-th centre (whose coordinates were kept when it was added). */
  private centreBoundReaches(i: number, limit: number): boolean {
    const { yc, kf, centreY } = this;
    const need = limit + PIVOT_TOL * (this.centreNorm[i] + this.ycNorm);
    const o = i * kf;
    let s = 0;
    for (let a = 0; a < kf; a++) {
      const t = centreY[o + a] - yc[a];
      s += t * t;
    }
    return s >= need * need;
  }

  /** Exact test of local point x against the new centre (offset co); moves it to the new cluster when it gets closer. */
  private visit(x: number, co: number): boolean {
    const m = this.minD[x];
    if (this.kf && this.boundReaches(x, m * (1 + PRUNE_TOL))) return false;
    const lim = m * m;
    const s = sqDistBelow(this.data, this.row(x) * this.d, co, this.d, lim);
    if (s < lim) {
      const v = Math.fround(Math.sqrt(s));
      if (v < m) {
        this.minD[x] = v;
        this.scratch[this.gathered++] = x;
        return true;
      }
    }
    return false;
  }

  private scanVirtual(co: number): void {
    const mem = this.members[0];
    const len = this.sizes[0];
    const minD = this.minD;
    let keep = 0, bv = -Infinity, bi = 0x7fffffff;
    for (let t = 0; t < len; t++) {
      const x = mem[t];
      if (this.visit(x, co)) continue;
      mem[keep++] = x;
      const m = minD[x];
      if (m > bv || (m === bv && x < bi)) { bv = m; bi = x; }
    }
    this.sizes[0] = keep;
    this.maxVal[0] = bv;
    this.maxIdx[0] = bi;
    this.update(0);
  }

  /** Visits the members of a centre's cluster with 2 u > D (D = distance between the two centres). */
  private scanCluster(slot: number, co: number, D: number): void {
    const mem = this.members[slot];
    const len = this.sizes[slot];
    const minD = this.minD;
    let keep = 0, t = 0;
    for (; t < len; t++) {
      const x = mem[t];
      if (D >= 2 * minD[x] * (1 + PRUNE_TOL)) break; // sorted: no later member can get closer either
      if (!this.visit(x, co)) mem[keep++] = x;
    }
    if (keep === t) return; // nothing left this cluster
    mem.copyWithin(keep, t, len);
    const left = keep + len - t;
    this.sizes[slot] = left;
    this.maxVal[slot] = left > 0 ? minD[mem[0]] : -Infinity;
    this.maxIdx[slot] = left > 0 ? mem[0] : 0x7fffffff;
    this.update(slot);
  }

  /** Tournament tree over slots: larger max first, lower point index on ties. */
  private better(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    const va = this.maxVal[a], vb = this.maxVal[b];
    return va > vb || (va === vb && this.maxIdx[a] < this.maxIdx[b]) ? a : b;
  }

  private update(slot: number): void {
    const tree = this.tree;
    let t = this.leaves + slot;
    tree[t] = slot;
    for (t >>= 1; t >= 1; t >>= 1) tree[t] = this.better(tree[2 * t], tree[2 * t + 1]);
  }
}

/** The next centre from the shares' bests: the largest value, the lowest global row on ties (one loop's argmax). */
export function bestOf(values: ArrayLike<number>, rows: ArrayLike<number>): number {
  let b = -1;
  for (let p = 0; p < values.length; p++) {
    if (values[p] === -Infinity) continue;
    if (b < 0 || values[p] > values[b] || (values[p] === values[b] && rows[p] < rows[b])) b = p;
  }
  return b < 0 ? 0 : rows[b];
}

/** Features projected for the coreset distances, in chunks so that a long projection stays cancellable. */
async function projectFor(features: Matrix, projectionDim: number, seed: number, tick: () => Promise<void>): Promise<Matrix> {
  if (projectionDim <= 0) return features;
  const P = projectionMatrix(seed, features.cols, projectionDim);
  const pt = transpose(P);
  const n = features.rows;
  const data = new Float32Array(n * P.cols);
  const chunk = Math.max(4, Math.floor(2e6 / Math.max(1, features.cols * P.cols)) * 4);
  for (let r = 0; r < n; r += chunk) {
    projectRows(features, pt, P.cols, r, Math.min(n, r + chunk), data);
    await tick();
  }
  return { data, rows: n, cols: P.cols };
}

/** Algorithm 1 on one thread: one share holding every point; returns exactly the indices of `naiveGreedyCoreset`. */
export async function greedyCoreset(features: Matrix, opts: CoresetOptions): Promise<Uint32Array> {
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  const n = features.rows;
  const count = n === 0 ? 0 : Math.max(0, Math.floor(opts.count));
  const out = new Uint32Array(count);
  if (count === 0) return out;

  let lastReport = clock();
  let lastYield = lastReport;
  const tick = async (done: number, force = false): Promise<void> => {
    const now = clock();
    if (force || now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      onProgress?.({ stage: 'coreset', done, total: count });
    }
    if (now - lastYield >= YIELD_MS) {
      await nextTick();
      lastYield = clock();
      signal?.throwIfAborted();
    }
  };

  const t0 = clock();
  const X = await projectFor(features, opts.projectionDim, opts.seed, () => tick(0));
  const starts = startIndices(opts.seed, n, opts.startPoints);
  const share = await CoresetShare.create(X, starts, count, 0, 1, () => tick(0));
  await tick(0, true);
  const t1 = clock();
  for (let j = 0; j < count; j++) {
    const sel = share.bestRow();
    out[j] = sel;
    if (j + 1 < count) {
      share.add(sel);
      await tick(j + 1);
    }
  }
  if (opts.timing) {
    opts.timing.setupSeconds = (t1 - t0) / 1000;
    opts.timing.stepSeconds = (clock() - t1) / 1000;
  }
  onProgress?.({ stage: 'coreset', done: count, total: count });
  return out;
}
