// The memory bank at scale (sec. 3.2). Algorithm 1 run once over every training patch costs patches x bank distance
// evaluations and holds every patch in memory, so it grows with the square of the data. The builder below streams
// patches instead: they fill a chunk of fixed size; each full chunk is reduced by the same greedy coreset to a
// share of its rows (level 1); the kept rows, full vectors, join a candidate pool; at the end the pool is reduced
// to the bank (level 2). Greedy k-centre selections compose this way (a k-centre coreset of a union of k-centre
// coresets is one of the union, with twice the radius bound), and each level is exact greedy on its own rows.
// Time and memory are linear in the patches: a chunk, the pool (bounded by merging it when it outgrows its cap)
// and the bank. A training set that fits in one chunk, or whose exact pass is cheap (EXACT_WORK), is selected
// exactly as before (one greedy pass).
import { coresetSize, type EngineConfig } from './config';
import type { Matrix, MemoryBank, ProgressFn, SelectionTiming } from './types';

/**
 * Greedy coreset of `count` rows of `features` (Algorithm 1): indices in selection order. Fills `timing` when given
 * and it can (it then splits the time between set-up and steps for the estimates).
 */
export type SelectRows = (features: Matrix, count: number, onProgress?: ProgressFn, timing?: SelectionTiming) => Promise<Uint32Array>;

export type MemoryPlanConfig = Pick<EngineConfig, 'coresetRatio' | 'coresetCount' | 'coresetMax' | 'coresetFloor' | 'coresetChunk'>;

/** Level 1 keeps this many times the bank's share of patches, so level 2 still has a choice to make. */
const LEVEL1_OVERSAMPLE = 2;

/**
 * Sets whose one exact greedy pass costs at most this many distance evaluations (patches x bank; a few seconds on
 * one core) are selected exactly even when a chunk size is set: streaming only pays beyond that.
 */
export const EXACT_WORK = 2e8;

export interface BankBuilderOptions {
  config: MemoryPlanConfig;
  /** Vector dimension. */
  cols: number;
  /** Estimated training patches in all (including those already in `seed`), to plan the level-1 share. */
  expectedPatches: number;
  /** Runs the greedy selection; several calls may be in flight at once (a worker pool runs them in parallel). */
  select: SelectRows;
  /** How many chunk selections may still run while more patches stream in (default 0: none; a worker pool: its size). */
  parallel?: number;
  /**
   * Runs the selections that run alone (the last one, or the one exact pass), e.g. split over every core; the same
   * indices as `select` (default: `select`).
   */
  selectAll?: SelectRows;
  /** How many times faster `selectAll` runs than `select` (for the time estimate; default 1). */
  selectAllSpeedup?: number;
  /** Distance evaluations up to which one exact pass is used even with a chunk size (default EXACT_WORK). */
  exactWork?: number;
  /** An existing bank to grow (extend): its rows start the pool, `patchCount` the patches it stands for. */
  seed?: { bank: MemoryBank; patchCount: number };
}

/**
 * Streams patch features into a memory bank. add() takes one image's rows at a time; finish() returns the bank and
 * the number of patches it was selected from. Rows are copied, so callers may reuse their buffers.
 */
export class BankBuilder {
  /** Patches added so far (plus the seed's). */
  patchCount: number;
  readonly cols: number;
  /** Level-1 chunk selections started so far. */
  private chunksStarted = 0;
  private readonly chunkRows: number;
  private chunk: Float32Array;
  private filled = 0;
  private pool: Float32Array;
  private poolRows = 0;
  private readonly inFlight: Promise<Matrix>[] = [];
  /**
   * Measured cost of the selections so far: set-up seconds per row, step seconds per (rows x selected). Selections
   * that do not split their time count wholly as steps.
   */
  private setupSeconds = 0;
  private setupRows = 0;
  private selectSeconds = 0;
  private selectWork = 0;

  constructor(private readonly o: BankBuilderOptions) {
    this.cols = o.cols;
    const chunk = o.config.coresetChunk ?? 0;
    const n = Math.max(1, o.expectedPatches);
    const k = coresetSize(n, o.config);
    // Keeping every patch (k = n, under the floor) selects nothing, so it is always affordable.
    const affordable = !o.seed && (k >= n || n * k <= (o.exactWork ?? EXACT_WORK));
    this.chunkRows = chunk > 0 && !affordable ? chunk : Number.POSITIVE_INFINITY;
    this.patchCount = o.seed?.patchCount ?? 0;
    this.chunk = new Float32Array(0);
    this.pool = new Float32Array(0);
    if (o.seed) this.append(o.seed.bank);
  }

  /** Rows of one image (rows x cols, row-major). */
  async add(rows: Float32Array, count: number): Promise<void> {
    const { cols } = this.o;
    if (rows.length < count * cols) throw new Error(`add: ${count} rows of ${cols} need ${count * cols} values, got ${rows.length}`);
    this.patchCount += count;
    // Without a chunk size (exact mode) everything is one chunk, grown as needed.
    let at = 0;
    while (at < count) {
      const take = Math.min(count - at, this.chunkRows - this.filled);
      this.ensureChunk(this.filled + take);
      this.chunk.set(rows.subarray(at * cols, (at + take) * cols), this.filled * cols);
      this.filled += take;
      at += take;
      if (this.filled === this.chunkRows) await this.flushChunk();
    }
  }

  /**
   * The bank: exact greedy when everything fit in one chunk, else the pool reduced to the bank size. `onProgress`
   * hears the last selection (stage 'coreset').
   */
  async finish(onProgress?: ProgressFn): Promise<{ bank: MemoryBank; patchCount: number }> {
    const { cols, config } = this.o;
    const k = coresetSize(this.patchCount, config);
    // A seeded pool is already a selection: the new rows are never the whole set.
    if (!this.o.seed && this.chunksStarted === 0) {
      // Level 1 never ran: one exact greedy pass over all patches, as Algorithm 1 is written.
      const all: Matrix = { data: this.chunk.subarray(0, this.filled * cols), rows: this.filled, cols };
      if (all.rows === 0) throw new Error('No good images to learn from');
      // Under the bank's floor every patch is kept: nothing to select.
      const bank = k >= all.rows ? { data: all.data.slice(), rows: all.rows, cols } : await this.selectInto(all, k, onProgress, true);
      return { bank, patchCount: this.patchCount };
    }
    if (this.filled > 0) await this.flushChunk();
    await this.drain(0);
    const pool: Matrix = { data: this.pool.subarray(0, this.poolRows * cols), rows: this.poolRows, cols };
    const bank = pool.rows > k ? await this.selectInto(pool, k, onProgress, true) : { data: pool.data.slice(), rows: pool.rows, cols };
    return { bank, patchCount: this.patchCount };
  }

  /**
   * Seconds the remaining selections should take once every patch is in (the pool grown by the level-1 share of
   * the patches still expected, then reduced to the bank), from the selections measured so far; null before any
   * (exact mode has none until its one pass).
   */
  estimateFinishSeconds(): number | null {
    if (this.selectWork === 0) return null;
    const n = Math.max(this.o.expectedPatches, this.patchCount);
    const pending = this.filled + Math.max(0, n - this.patchCount);
    const pool = Math.min(this.poolCap(), this.poolRows + pending * this.level1Share());
    const k = coresetSize(n, this.o.config);
    if (pool <= k) return 0;
    const rate = this.selectSeconds / this.selectWork;
    const setup = this.setupRows > 0 ? this.setupSeconds / this.setupRows : 0;
    // Chunk selections are left out: they run while features stream in, so the per-image time already has them.
    // Set-up is paid once per row, steps per row and selected vector: a chunk's time is mostly set-up, the last
    // selection's mostly steps, so one rate for both would over-estimate the last.
    return (setup * pool + rate * pool * k) / Math.max(1, this.o.selectAllSpeedup ?? 1);
  }

  /** The level-1 share: LEVEL1_OVERSAMPLE x the bank's expected share of all patches, at most all. */
  private level1Share(): number {
    const n = Math.max(this.o.expectedPatches, this.patchCount, 1);
    return Math.min(1, (LEVEL1_OVERSAMPLE * coresetSize(n, this.o.config)) / n);
  }

  /** Largest pool before it is merged (reduced to half): bounds memory whatever the number of images. */
  private poolCap(): number {
    const n = Math.max(this.o.expectedPatches, this.patchCount, 1);
    return Math.max(4 * coresetSize(n, this.o.config), Number.isFinite(this.chunkRows) ? this.chunkRows : 0);
  }

  private async flushChunk(): Promise<void> {
    const { cols } = this.o;
    const rows = this.filled;
    const data = this.chunk.slice(0, rows * cols);
    this.filled = 0;
    const m: Matrix = { data, rows, cols };
    const keep = Math.max(1, Math.ceil(rows * this.level1Share()));
    this.chunksStarted++;
    this.inFlight.push(keep >= rows ? Promise.resolve(m) : this.selectInto(m, keep));
    await this.drain(Math.max(0, this.o.parallel ?? 0));
  }

  /** Waits for chunk selections, oldest first (so the pool's order does not depend on timing), until `left` run. */
  private async drain(left: number): Promise<void> {
    while (this.inFlight.length > left) {
      this.append(await this.inFlight.shift()!);
      const cap = this.poolCap();
      if (this.poolRows > cap) {
        const { cols } = this.o;
        const merged = await this.selectInto({ data: this.pool.subarray(0, this.poolRows * cols), rows: this.poolRows, cols }, Math.ceil(cap / 2));
        this.poolRows = 0;
        this.append(merged);
      }
    }
  }

  private append(m: Matrix): void {
    const { cols } = this.o;
    const need = (this.poolRows + m.rows) * cols;
    if (need > this.pool.length) {
      const grown = new Float32Array(Math.max(need, Math.ceil(this.pool.length * 1.5)));
      grown.set(this.pool.subarray(0, this.poolRows * cols));
      this.pool = grown;
    }
    this.pool.set(m.data.subarray(0, m.rows * cols), this.poolRows * cols);
    this.poolRows += m.rows;
  }

  private ensureChunk(rows: number): void {
    const { cols } = this.o;
    if (rows * cols <= this.chunk.length) return;
    // Sized for the expected patches (with a little slack for grids that differ), never beyond one chunk.
    const estimate = Math.min(this.chunkRows, Math.max(rows, Math.ceil(this.o.expectedPatches * 1.05)));
    const grown = new Float32Array(Math.max(rows, Math.min(this.chunkRows, Math.ceil((this.chunk.length / cols) * 1.25)), estimate) * cols);
    grown.set(this.chunk.subarray(0, this.filled * cols));
    this.chunk = grown;
  }

  private async selectInto(m: Matrix, count: number, onProgress?: ProgressFn, alone = false): Promise<Matrix> {
    const k = Math.min(m.rows, count);
    const t0 = performance.now();
    const timing: SelectionTiming = { setupSeconds: -1, stepSeconds: 0 };
    const indices = await (alone ? (this.o.selectAll ?? this.o.select) : this.o.select)(m, k, onProgress, timing);
    const seconds = (performance.now() - t0) / 1000;
    if (timing.setupSeconds >= 0) {
      // The selection's own time: the wall time also holds waiting for a free worker behind other chunks.
      this.setupSeconds += timing.setupSeconds;
      this.setupRows += m.rows;
      this.selectSeconds += timing.stepSeconds;
    } else this.selectSeconds += seconds;
    this.selectWork += m.rows * k;
    return gatherRows(m, indices);
  }
}

/** Matrices of one width, one under the other. */
export function stackRows(parts: Matrix[], cols = parts[0]?.cols ?? 0): Matrix {
  const rows = parts.reduce((n, m) => n + m.rows, 0);
  const data = new Float32Array(rows * cols);
  let at = 0;
  for (const m of parts) {
    data.set(m.data.subarray(0, m.rows * cols), at);
    at += m.rows * cols;
  }
  return { data, rows, cols };
}

export function gatherRows(m: Matrix, indices: Uint32Array): MemoryBank {
  const data = new Float32Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return { data, rows: indices.length, cols: m.cols };
}

/** What a build of `patches` training patches will do, as BankBuilder plans it: for estimates before it starts. */
export interface MemoryPlan {
  /** Memory vectors in the bank. */
  bank: number;
  /** One exact greedy pass over every patch (no streaming). */
  exact: boolean;
  /** Distance evaluations (rows x selected) of the level-1 chunk selections, which run while features stream in. */
  chunkWork: number;
  /** Distance evaluations of the pool merges and the final selection, which run one after another. */
  finalWork: number;
  /** Most vectors held at once by the selection: chunks in flight, the pool and the bank. */
  peakRows: number;
}

export function planMemory(patches: number, config: MemoryPlanConfig, parallel = 0, exactWork = EXACT_WORK): MemoryPlan {
  const n = Math.max(1, patches);
  const k = coresetSize(n, config);
  const chunk = config.coresetChunk ?? 0;
  if (chunk <= 0 || n * k <= exactWork || n <= chunk || k >= n) return { bank: k, exact: true, chunkWork: 0, finalWork: k >= n ? 0 : n * k, peakRows: n + k };
  const share = Math.min(1, (LEVEL1_OVERSAMPLE * k) / n);
  const cap = Math.max(4 * k, chunk);
  let chunkWork = 0;
  let finalWork = 0;
  let pool = 0;
  for (let left = n; left > 0; left -= chunk) {
    const rows = Math.min(chunk, left);
    const keep = Math.max(1, Math.ceil(rows * share));
    if (keep < rows) chunkWork += rows * keep;
    pool += keep;
    if (pool > cap) {
      finalWork += pool * Math.ceil(cap / 2);
      pool = Math.ceil(cap / 2);
    }
  }
  if (pool > k) finalWork += pool * k;
  return { bank: k, exact: false, chunkWork, finalWork, peakRows: chunk * (1 + parallel) + cap + k };
}
