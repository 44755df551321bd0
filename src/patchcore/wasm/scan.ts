// The bank index's hot loops in WebAssembly SIMD (scan.wat): one query's squared distance to runs of bank rows in
// their principal axes, four rows per instruction, returning the rows that stay under the bound (one run, or every
// cluster's run at a fixed bound in one call); and a survivor's full distance. Where the runtime has relaxed SIMD
// (Chromium 114+) the fused multiply-add build runs, else the plain SIMD one (Node 20), else none and the index
// keeps its own TypeScript loops (../cpu/bankIndex.ts).
// Chosen by feature detection: WebAssembly.validate on each build's bytes. The 'typescript' flavour is the twin:
// the same loops over the same layout in TypeScript, the oracle scan.test.ts holds both builds to.
import { SCAN_RELAXED, SCAN_SIMD } from './scan.wasm';

export type ScanFlavour = 'relaxed' | 'simd' | 'typescript';
/** The scan reads axes in groups of this many (scan.wat checks its bound after each group). */
export const SCAN_AXES = 8;
/** Rows per SIMD block. */
const LANES = 4;
const PAGE = 65536;
/** The bank is copied into the scan's memory for `within` only up to this size; above it the index measures in TypeScript. */
export const ROWS_COPY_MAX_BYTES = 64 * 2 ** 20;

const compiled = new Map<ScanFlavour, WebAssembly.Module | null>();

function bytesOf(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

/** The compiled module of one build, or null where this runtime cannot run it. */
function moduleOf(flavour: ScanFlavour): WebAssembly.Module | null {
  if (!compiled.has(flavour)) {
    let m: WebAssembly.Module | null = null;
    try {
      const bytes = bytesOf(flavour === 'relaxed' ? SCAN_RELAXED : SCAN_SIMD);
      if (typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes)) m = new WebAssembly.Module(bytes);
    } catch {
      m = null;
    }
    compiled.set(flavour, m);
  }
  return compiled.get(flavour)!;
}

/** Whether this runtime runs the given build (the TypeScript twin runs everywhere). */
export function scanAvailable(flavour: ScanFlavour): boolean {
  return flavour === 'typescript' || moduleOf(flavour) !== null;
}

/** The build to use: relaxed SIMD, else plain SIMD; null: neither (keep the TypeScript loops). */
export function bestScan(): 'relaxed' | 'simd' | null {
  if (scanAvailable('relaxed')) return 'relaxed';
  if (scanAvailable('simd')) return 'simd';
  return null;
}

/** The index's clusters as runs() reads them: see BankIndex (starts, radii, toCentre). */
export interface ClusterRuns {
  /** Per cluster its first position, and one more: the end. */
  starts: Uint32Array;
  /** Per cluster the largest distance of a member to its centre. */
  radii: Float64Array;
  /** Per position its member's distance to its centre, descending within each cluster. */
  toCentre: Float64Array;
}

/**
 * One bank in the scan's layout, in a memory of its own, and the loops over it. `projected` holds the bank's
 * rows on `p` (a multiple of 8) principal axes, in the index's position order; `bank` the rows themselves. Rows past
 * the end of the last block are padding at +Infinity, so they never stay under a finite bound (and are outside every
 * run the caller asks for).
 *
 * Both loops sum in fp32, where the index sums in double. The limits they are given are widened by a slack (the
 * worst-case relative error of an fp32 sum of that many terms, Higham's gamma_n, doubled, and the limit's own
 * rounding to fp32), so a row is dropped only where the double sum would drop it too; the index's own margin covers
 * the fp32 inputs.
 */
export class BlockScan {
  /** Positions and squared distances of the rows the last scan() kept. */
  readonly keptPos: Int32Array;
  readonly keptSum: Float32Array;
  private readonly scanFn: (q: number, blocks: number, axes: number, first: number, end: number, lim: number, out: number) => number;
  private readonly distanceFn: (q: number, row: number, cols: number, lim: number) => number;
  private readonly runsFn: RunsFn;
  private readonly q: Float32Array;
  private readonly query: Float32Array;
  private readonly qAt = 0;
  private readonly queryAt: number;
  private readonly rowsAt: number;
  private readonly blocksAt: number;
  private readonly outAt: number;
  private readonly centresAt: number;
  private readonly centreSumsAt: number;
  private readonly centreOut: Float32Array;
  private readonly radiiAt: number;
  private readonly startsAt: number;
  private readonly toCentreAt: number;
  private readonly statAt: number;
  private readonly stat: Int32Array;
  private readonly cols: number;
  /** Whether the bank's rows are in this memory (within() works): not for banks over ROWS_COPY_MAX_BYTES. */
  readonly hasRows: boolean;
  /** Whether the clusters are in this memory (runs() works): given to the constructor. */
  readonly hasRuns: boolean;
  /** Positions runs() scanned in its last call (the candidates its triangle inequality left). */
  get lastScanned(): number {
    return this.stat[0];
  }
  /** The widening factor of scan()'s limits (see the class comment). */
  readonly scanSlack: number;
  private readonly distanceSlack: number;

  constructor(
    readonly flavour: ScanFlavour,
    projected: Float32Array,
    readonly p: number,
    bank: { data: Float32Array; rows: number; cols: number },
    centres: ArrayLike<number>,
    private readonly clusters: number,
    members: ClusterRuns | null = null,
    rowsCopyMaxBytes = ROWS_COPY_MAX_BYTES,
  ) {
    if (p < SCAN_AXES || p % SCAN_AXES !== 0) throw new Error(`The scan needs a multiple of ${SCAN_AXES} projected axes, got ${p}`);
    const { rows, cols } = bank;
    this.cols = cols;
    const blocks = Math.ceil(rows / LANES);
    const align = (x: number) => Math.ceil(x / 16) * 16;
    this.hasRows = rows * cols * 4 <= rowsCopyMaxBytes;
    this.queryAt = p * LANES * 4;
    this.rowsAt = align(this.queryAt + cols * 4);
    this.blocksAt = align(this.rowsAt + (this.hasRows ? rows * cols * 4 : 0));
    this.centresAt = this.blocksAt + blocks * p * LANES * 4;
    const centreBlocks = Math.ceil(clusters / LANES);
    this.centreSumsAt = this.centresAt + centreBlocks * p * LANES * 4;
    this.outAt = this.centreSumsAt + centreBlocks * LANES * 8;
    this.radiiAt = this.outAt + blocks * LANES * 8;
    this.toCentreAt = this.radiiAt + (members ? clusters * 8 : 0);
    this.startsAt = this.toCentreAt + (members ? rows * 8 : 0);
    this.statAt = align(this.startsAt + (members ? (clusters + 1) * 4 : 0));
    const bytes = this.statAt + 16;
    this.hasRuns = members !== null;
    let buf: ArrayBuffer;
    if (flavour === 'typescript') {
      buf = new ArrayBuffer(bytes);
      this.scanFn = twinScan(buf);
      this.distanceFn = twinDistance(buf);
      this.runsFn = twinRuns(buf);
    } else {
      const mod = moduleOf(flavour);
      if (!mod) throw new Error(`This runtime cannot run the ${flavour === 'relaxed' ? 'relaxed SIMD' : 'SIMD'} scan`);
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
      const instance = new WebAssembly.Instance(mod, { env: { memory } });
      this.scanFn = instance.exports.scan as BlockScan['scanFn'];
      this.distanceFn = instance.exports.distance as BlockScan['distanceFn'];
      this.runsFn = instance.exports.runs as RunsFn;
      buf = memory.buffer;
    }
    this.q = new Float32Array(buf, this.qAt, p * LANES);
    this.query = new Float32Array(buf, this.queryAt, cols);
    // Rows in bank order (measure() asks by bank row); the blocks in position order (the scan walks clusters).
    if (this.hasRows) new Float32Array(buf, this.rowsAt, rows * cols).set(bank.data.subarray(0, rows * cols));
    toBlocks(new Float32Array(buf, this.blocksAt, blocks * p * LANES), projected, rows, p);
    toBlocks(new Float32Array(buf, this.centresAt, centreBlocks * p * LANES), centres, clusters, p);
    this.centreOut = new Float32Array(buf, this.centreSumsAt, centreBlocks * LANES * 2);
    this.keptPos = new Int32Array(buf, this.outAt, blocks * LANES * 2);
    this.keptSum = new Float32Array(buf, this.outAt, blocks * LANES * 2);
    if (members) {
      new Float64Array(buf, this.radiiAt, clusters).set(members.radii.subarray(0, clusters));
      new Float64Array(buf, this.toCentreAt, rows).set(members.toCentre.subarray(0, rows));
      new Uint32Array(buf, this.startsAt, clusters + 1).set(members.starts.subarray(0, clusters + 1));
    }
    this.stat = new Int32Array(buf, this.statAt, 1);
    // 2^-22 more: the limit passed to WebAssembly is rounded to the nearest fp32 (2^-24 at most).
    const gamma = (n: number) => (1 + (2 * n * 2 ** -24) / (1 - n * 2 ** -24)) * (1 + 2 ** -22);
    this.scanSlack = gamma(p / LANES + 4);
    this.distanceSlack = gamma(Math.ceil(cols / LANES) + 4 + (cols % 16));
  }

  /**
   * The query: its projected coordinates (each splatted to 4 lanes) and its `cols` values, rounded to fp32 (within
   * the index's margin).
   */
  setQuery(qp: ArrayLike<number>, qpo: number, Q: Float32Array, qo: number): void {
    for (let j = 0; j < this.p; j++) this.q.fill(qp[qpo + j], j * LANES, (j + 1) * LANES);
    this.query.set(Q.subarray(qo, qo + this.cols));
  }

  /**
   * Scans positions [first, end) (whole blocks: first rounded down, end up to a multiple of 4) and keeps those whose
   * squared distance over the axes may not be greater than `lim`; returns how many were kept. Kept row i is at
   * keptPos[2i] with its squared distance at keptSum[2i + 1], in position order. Compare what is kept against a
   * limit with widen().
   */
  scan(first: number, end: number, lim: number): number {
    return this.scanFn(this.qAt, this.blocksAt, this.p, first >> 2, (end + 3) >> 2, this.widen(lim), this.outAt);
  }

  /**
   * The query's squared distance to every cluster centre, summed as scan() sums (within scanSlack of the double
   * sum): centre c at [2c + 1] of the view returned (valid until the next call).
   */
  centreSums(): Float32Array {
    this.scanFn(this.qAt, this.centresAt, this.p, 0, Math.ceil(this.clusters / LANES), Infinity, this.centreSumsAt);
    return this.centreOut;
  }

  /**
   * Every cluster at once at a fixed `bound` on the distance: the clusters and members the triangle inequality leaves
   * (as Search.runScan decides them, from centreSums()'s interval), scanned against bound^2 in every projected axis.
   * Returns how many rows were kept, at keptPos/keptSum as scan() leaves them (in cluster order, then position).
   */
  runs(bound: number): number {
    if (!this.hasRuns) throw new Error('This scan holds no clusters (none were given to it)');
    this.centreSums();
    return this.runsFn(this.qAt, this.blocksAt, this.p, this.clusters, this.centreSumsAt, this.radiiAt, this.startsAt,
      this.toCentreAt, bound, this.scanSlack, this.widen(bound * bound), this.outAt, this.statAt);
  }

  /** `lim` widened as scan() widens it: a kept row's sum that passes this passes the double sum's `lim`. */
  widen(lim: number): number {
    return lim * this.scanSlack;
  }

  /**
   * The query's squared distance to bank row `row` in the original space, summed until it passes `lim` (then the
   * partial sum, already past it); true when the row may be within `lim`, false when it is surely not.
   */
  within(row: number, lim: number): boolean {
    if (!this.hasRows) throw new Error('This scan holds no copy of the bank (it is over ROWS_COPY_MAX_BYTES)');
    const l = lim * this.distanceSlack;
    return !(this.distanceFn(this.queryAt, this.rowsAt + row * this.cols * 4, this.cols, l) > l);
  }
}

/** Rows of `p` values into the scan's blocks (axis-major per 4 rows), the lanes past `rows` at +Infinity. */
function toBlocks(B: Float32Array, X: ArrayLike<number>, rows: number, p: number): void {
  B.fill(Infinity);
  for (let r = 0; r < rows; r++) {
    const base = (r >> 2) * p * LANES + (r & 3);
    for (let j = 0; j < p; j++) B[base + j * LANES] = X[r * p + j];
  }
}


type RunsFn = (q: number, blocks: number, axes: number, k: number, sums: number, radii: number, starts: number,
  toCentre: number, bound: number, slack: number, lim: number, out: number, stat: number) => number;
type ScanBlocks = (q: number, blocks: number, axes: number, first: number, end: number, lim: number, out: number, n: number) => number;

/** scan.wat in TypeScript over the same memory layout (byte offsets in, count out), accumulating in fp32 as it does. */
function twinScan(buf: ArrayBuffer): BlockScan['scanFn'] {
  const blocksOf = twinScanBlocks(buf);
  return (q, blocks, axes, first, end, lim, out) => blocksOf(q, blocks, axes, first * LANES, end * LANES, Math.fround(lim), out, 0);
}

/** scan.wat's $scanBlocks: positions [first, end) of the blocks that hold them, appended to out after n. */
function twinScanBlocks(buf: ArrayBuffer): ScanBlocks {
  const F = new Float32Array(buf);
  const I = new Int32Array(buf);
  const f = Math.fround;
  const acc = new Float32Array(LANES);
  return (q, blocks, axes, first, end, lim, out, n) => {
    for (let b = first >> 2; b < (end + 3) >> 2; b++) {
      const base = (blocks >> 2) + b * axes * LANES;
      acc.fill(0);
      let alive = true;
      for (let g = 0; g < axes && alive; g += SCAN_AXES) {
        for (let j = g; j < g + SCAN_AXES; j++)
          for (let lane = 0; lane < LANES; lane++) {
            const t = f(F[(q >> 2) + j * LANES + lane] - F[base + j * LANES + lane]);
            acc[lane] = f(acc[lane] + f(t * t));
          }
        alive = acc.some((a) => !(a > lim));
      }
      if (!alive) continue;
      for (let lane = 0; lane < LANES; lane++) {
        if (acc[lane] > lim || b * LANES + lane < first || b * LANES + lane >= end) continue;
        I[(out >> 2) + 2 * n] = b * LANES + lane;
        F[(out >> 2) + 2 * n + 1] = acc[lane];
        n++;
      }
    }
    return n;
  };
}

/** scan.wat's `runs` in TypeScript: the same decisions in double, the same fp32 scans. */
function twinRuns(buf: ArrayBuffer): RunsFn {
  const F = new Float32Array(buf);
  const D = new Float64Array(buf);
  const U = new Uint32Array(buf);
  const blocksOf = twinScanBlocks(buf);
  return (q, blocks, axes, k, sums, radii, starts, toCentre, bound, slack, lim, out, stat) => {
    const m = D.subarray(toCentre >> 3);
    let n = 0, scanned = 0;
    for (let c = 0; c < k; c++) {
      const s = F[(sums >> 2) + 2 * c + 1];
      const r = D[(radii >> 3) + c];
      const x = bound + r;
      if (s > x * x * slack) continue;
      const lo = Math.sqrt(s / slack);
      if (lo - r > bound) continue;
      const first = runStart(m, U[(starts >> 2) + c], U[(starts >> 2) + c + 1], lo * slack, bound);
      const end = runEnd(m, first, U[(starts >> 2) + c + 1], lo, bound);
      if (first >= end) continue;
      scanned += end - first;
      n = blocksOf(q, blocks, axes, first, end, Math.fround(lim), out, n);
    }
    U[stat >> 2] = scanned;
    return n;
  };
}

/** The first of a cluster's members (m descending) not skipped by m - dc > bound (dc at its upper end). */
export function runStart(m: Float64Array, from: number, to: number, dcHi: number, bound: number): number {
  while (from < to) {
    const mid = (from + to) >> 1;
    if (m[mid] - dcHi > bound) from = mid + 1;
    else to = mid;
  }
  return from;
}

/** The first member from `from` on where dc - m > bound (dc at its lower end), when the rest are skipped too. */
export function runEnd(m: Float64Array, from: number, to: number, dcLo: number, bound: number): number {
  while (from < to) {
    const mid = (from + to) >> 1;
    if (dcLo - m[mid] > bound) to = mid;
    else from = mid + 1;
  }
  return from;
}

/** scan.wat's `distance` in TypeScript: four fp32 lane sums over blocks of 16, checked after each block, then the tail. */
function twinDistance(buf: ArrayBuffer): BlockScan['distanceFn'] {
  const F = new Float32Array(buf);
  const f = Math.fround;
  const acc = new Float32Array(LANES);
  return (q, row, cols, lim) => {
    acc.fill(0);
    const qa = q >> 2, ra = row >> 2;
    const n16 = cols & ~15;
    let s = 0;
    for (let j = 0; j < n16; j += 16) {
      for (let k = 0; k < 16; k++) {
        const t = f(F[qa + j + k] - F[ra + j + k]);
        acc[k & 3] = f(acc[k & 3] + f(t * t));
      }
      s = f(f(acc[0] + acc[1]) + f(acc[2] + acc[3]));
      if (s > lim) return s;
    }
    s = f(f(acc[0] + acc[1]) + f(acc[2] + acc[3]));
    for (let j = n16; j < cols; j++) {
      const t = f(F[qa + j] - F[ra + j]);
      s = f(s + f(t * t));
    }
    return s;
  };
}
